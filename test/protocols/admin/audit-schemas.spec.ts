import { expect } from 'chai'
import { auditRecordSchema } from '../../../protocols/admin/audit-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('auditRecordSchema', () => {
  it('should fit a record chained to the one before, its outcome one of three', () => {
    const check = validatorOf(auditRecordSchema)
    const record = {
      seq: 1, ts: 1, actor: 'admin', node: 'p', ip: '127.0.0.1', action: 'POST /api/v1/users', target: '/api/v1/users', outcome: 'ok', status: 201, detail: '{"name":"ann"}',
      prev: '0'.repeat(64), hash: 'a'.repeat(64)
    }
    expect(check(record).ok).to.equal(true)
    expect(check({ ...record, outcome: 'maybe' }).errors).to.deep.equal(['/outcome must be equal to one of the allowed values'])
    expect(check({ ...record, prev: undefined }).errors).to.deep.equal(["must have required property 'prev'"])
  })
})
