import { expect } from 'chai'
import { AUDIT_FIELD_LIMITS, GENESIS, auditHash, checkAuditMsg, verifyAuditChain } from '../../../actors/index.ts'
import type { AuditRecord } from '../../../actors/index.ts'
import { auditChain, auditEntry as entry } from '../../helpers/audit-records.ts'
import { refusalOf } from '../../helpers/message-check-tests.ts'

describe('auditHash', () => {
  it('should depend on the previous hash, the time and every field, in a fixed order', () => {
    const base = auditHash(GENESIS, 1, entry(1))
    expect(base).to.match(/^[0-9a-f]{64}$/)
    expect(auditHash(GENESIS, 1, { ...entry(1) })).to.equal(base)
    const changed = [auditHash('f'.repeat(64), 1, entry(1)), auditHash(GENESIS, 2, entry(1)), auditHash(GENESIS, 1, entry(2)),
      auditHash(GENESIS, 1, { ...entry(1), status: 200 }), auditHash(GENESIS, 1, { ...entry(1), actor: 'unauthenticated' })]
    expect(new Set([base, ...changed]).size).to.equal(6)
  })
})

describe('verifyAuditChain', () => {
  it('should find a whole chain whole, from the start or from a record', () => {
    const records = auditChain(5)
    expect(verifyAuditChain(records)).to.deep.equal({ ok: true, seq: 5, hash: records[4]?.hash })
    expect(verifyAuditChain(records.slice(2), { seq: 2, hash: records[1]?.hash as string })).to.deep.include({ ok: true, seq: 5 })
    expect(verifyAuditChain([])).to.deep.equal({ ok: true, seq: 0, hash: GENESIS })
  })

  it('should find a record changed, removed, put out of order, or forged with a hash of its own', () => {
    const records = auditChain(5)
    const changed = records.map((r) => r.seq === 3 ? { ...r, target: '/api/v1/users/mallory' } : r)
    expect(verifyAuditChain(changed)).to.deep.include({ ok: false, brokenAt: 3 })
    expect(verifyAuditChain(records.filter((r) => r.seq !== 2))).to.deep.include({ ok: false, brokenAt: 2, reason: 'record 2 is missing (the next is 3)' })
    const swapped = [records[0], records[2], records[1], records[3]] as AuditRecord[]
    expect(verifyAuditChain(swapped)).to.deep.include({ ok: false, brokenAt: 2 })
    // a record rewritten with a hash that fits its new fields still breaks the link to the next
    const forged = records.map((r) => r.seq === 3 ? { ...r, detail: 'nothing', hash: auditHash(r.prev, r.ts, { ...r, detail: 'nothing' }) } : r)
    expect(verifyAuditChain(forged)).to.deep.include({ ok: false, brokenAt: 4 })
    // and renumbered records that leave one out cannot link either
    const renumbered = records.filter((r) => r.seq !== 3).map((r) => r.seq > 3 ? { ...r, seq: r.seq - 1 } : r)
    expect(verifyAuditChain(renumbered)).to.deep.include({ ok: false, brokenAt: 3 })
  })
})

describe('checkAuditMsg', () => {
  it('should pass what a node records and asks, and refuse a malformed message naming the field', () => {
    const refusal = refusalOf(checkAuditMsg)
    const replyTo = { askId: '1', node: 'n1' }
    expect(refusal({ type: 'record', entry: entry(1), replyTo })).to.equal('')
    expect(refusal({ type: 'record', entry: { ...entry(1), outcome: 'maybe' }, replyTo })).to.match(/entry\.outcome/)
    expect(refusal({ type: 'record', entry: { ...entry(1), status: 42 }, replyTo })).to.match(/entry\.status/)
    expect(refusal({ type: 'record', entry: { ...entry(1), detail: 'x'.repeat(1001) }, replyTo })).to.match(/entry\.detail/)
    expect(refusal({ type: 'record', entry: { ...entry(1), actor: '' }, replyTo })).to.match(/entry\.actor/)
    expect(refusal({ type: 'record', entry: 'x', replyTo })).to.match(/entry/)
    expect(refusal({ type: 'list', after: -1, limit: 5, replyTo })).to.match(/after/)
    expect(refusal({ type: 'list', after: 0, limit: 1001, replyTo })).to.match(/limit/)
    expect(refusal({ type: 'erase', replyTo })).to.match(/unknown type "erase"; expected one of record, list, head/)
    expect(refusal({ type: 'head', replyTo })).to.equal('')
    expect(refusal({ type: 'record', entry: { ...entry(1), target: 't'.repeat(AUDIT_FIELD_LIMITS.target) }, replyTo })).to.equal('')
    expect(refusal({ type: 'record', entry: { ...entry(1), target: 't'.repeat(AUDIT_FIELD_LIMITS.target + 1) }, replyTo })).to.match(/entry\.target/)
  })
})
