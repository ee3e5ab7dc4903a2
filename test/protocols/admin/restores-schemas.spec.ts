import { expect } from 'chai'
import { restoreSchema } from '../../../protocols/admin/restores-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('restoreSchema', () => {
  it('should fit a restore of everything or of one room since a time, with how far it got', () => {
    const check = validatorOf(restoreSchema)
    const all = { id: 'rs-20261124t161445-25e639', backup: 'bk-x', selection: {}, state: 'running', node: 'p', total: 10, cursor: 4, startedAt: 1, endedAt: null, error: null, resumed: 0 }
    expect(check(all).ok).to.equal(true)
    expect(check({ ...all, selection: { room: 'general', since: 1_700_000_000_000 } }).ok).to.equal(true)
    expect(check({ ...all, state: 'dry-run' }).errors).to.deep.equal(['/state must be equal to one of the allowed values'])
    expect(check({ ...all, cursor: undefined }).errors).to.deep.equal(["must have required property 'cursor'"])
  })
})
