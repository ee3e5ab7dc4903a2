import { expect } from 'chai'
import { LOG_LEVEL_NAMES, logEntrySchema } from '../../../protocols/admin/logs-schemas.ts'
import { LOG_LEVELS } from '../../../node/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('logs schemas', () => {
  it('should name pino\'s levels lowest first, as the node\'s log tail does', () => {
    expect(LOG_LEVEL_NAMES).to.deep.equal(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
    expect(LOG_LEVEL_NAMES).to.deep.equal(Object.entries(LOG_LEVELS).sort((a, b) => a[1] - b[1]).map(([name]) => name))
  })

  it('should fit a logged line at a level it names', () => {
    const check = validatorOf(logEntrySchema)
    const line = { seq: 1, time: 1, level: 'warn', msg: 'replica b is down', component: 'replication', fields: { peer: 'b' } }
    expect(check(line).ok).to.equal(true)
    expect(check({ ...line, component: null }).ok).to.equal(true)
    expect(check({ ...line, level: 'loud' }).errors).to.deep.equal(['/level must be equal to one of the allowed values'])
  })
})
