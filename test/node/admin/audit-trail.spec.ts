import { expect } from 'chai'
import { auditDetail } from '../../../node/admin/audit-trail.ts'

describe('auditDetail', () => {
  it('should keep of a body what JSON can show, and never throw on one it cannot (a bigint, nesting past the stack)', () => {
    expect(auditDetail({ name: 'ann', token: 'plxu_secret' })).to.equal('{"name":"ann","token":"(not recorded)"}')
    expect(auditDetail({ n: 1n })).to.equal('a body that cannot be shown as JSON (TypeError)')
    let deep: unknown[] = []
    for (let i = 0; i < 200_000; i++) deep = [deep]
    expect(auditDetail(deep)).to.equal('a body that cannot be shown as JSON (RangeError)')
    expect(auditDetail({ text: 'x'.repeat(1000) })).to.have.length(300)
  })

  it('should keep of a body of bytes (a plugin package) its size, never its bytes', () => {
    expect(auditDetail(Buffer.from('secret bytes'))).to.equal('a body of 12 bytes')
    expect(auditDetail(new Uint8Array(3))).to.equal('a body of 3 bytes')
  })
})
