import { expect } from 'chai'
import { scrubRowSchema, storageNodeSchema } from '../../../protocols/admin/storage-schemas.ts'
import type { ScrubRow, StorageNodeRow } from '../../../protocols/admin/storage-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('storage schemas', () => {
  it('should fit a storage node active, leaving with its hand-off, or not answering', () => {
    const check = validatorOf(storageNodeSchema)
    const leaving: StorageNodeRow = { peerId: 'p', status: 'up', state: 'leaving', handOff: { state: 'handing-off', partitions: 8, done: 3, waiting: ['partition 4: q is down'], since: '2026-01-01T00:00:00Z' }, catchUp: { partitions: 0, caughtUp: 0, waiting: [], replaced: [] } }
    expect(check(leaving).ok).to.equal(true)
    expect(check({ ...leaving, state: 'active', handOff: null, catchUp: null }).ok).to.equal(true)
    expect(check({ ...leaving, state: 'gone' }).errors).to.deep.equal(['/state must be equal to one of the allowed values'])
  })

  it('should fit a node\'s scrub, all null but its peer id where it did not answer', () => {
    const check = validatorOf(scrubRowSchema)
    const silent: ScrubRow = { peerId: 'q', answered: false, running: null, progress: null, passes: null, scanned: null, bytes: null, corruptFound: null, repaired: null, quarantined: null, lastPass: null }
    expect(check(silent).ok).to.equal(true)
    expect(check({ ...silent, answered: undefined }).errors).to.deep.equal(["must have required property 'answered'"])
  })
})
