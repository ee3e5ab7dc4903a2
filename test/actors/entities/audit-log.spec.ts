import { expect } from 'chai'
import { AUDIT, AUDIT_LOG_KEY, GENESIS, auditHash, auditLog, checkAuditMsg, verifyAuditChain } from '../../../actors/index.ts'
import type { AuditEntry, AuditRecord } from '../../../actors/index.ts'
import { refusalOf } from '../../helpers/message-check-tests.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

const entry = (n: number): AuditEntry => ({
  actor: 'admin', node: 'n1', ip: '127.0.0.1', action: 'POST /api/v1/users', target: '/api/v1/users', outcome: 'ok', status: 201, detail: `{"name":"u${n}"}`
})

/** A chain of `n` records as the entity writes them. */
function chain (n: number): AuditRecord[] {
  const out: AuditRecord[] = []
  let prev = GENESIS
  for (let seq = 1; seq <= n; seq++) {
    const e = entry(seq)
    const hash = auditHash(prev, 1_000 + seq, e)
    out.push({ seq, ts: 1_000 + seq, ...e, prev, hash })
    prev = hash
  }
  return out
}

describe('verifyAuditChain', () => {
  it('should find a whole chain whole, from the start or from a record', () => {
    const records = chain(5)
    expect(verifyAuditChain(records)).to.deep.equal({ ok: true, seq: 5, hash: records[4]?.hash })
    expect(verifyAuditChain(records.slice(2), { seq: 2, hash: records[1]?.hash as string })).to.deep.include({ ok: true, seq: 5 })
    expect(verifyAuditChain([])).to.deep.equal({ ok: true, seq: 0, hash: GENESIS })
  })

  it('should find a record changed, removed, put out of order, or forged with a hash of its own', () => {
    const records = chain(5)
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

describe('auditLog: the cluster\'s audit trail (real LevelDB journal)', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(auditLog))

  const log = () => node.system.entity(AUDIT, AUDIT_LOG_KEY)
  const ask = async <T>(msg: object): Promise<T> => await log().ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })

  it('should append records in a chain, list them in order, and keep the chain across a restart', async () => {
    // sent together: appends are pipelined, and each still follows the one before
    const acks = await Promise.all([1, 2, 3].map(async (n) => await ask<{ seq: number, hash: string }>({ type: 'record', entry: entry(n) })))
    expect(acks.map((a) => a.seq)).to.deep.equal([1, 2, 3])
    const records = await ask<AuditRecord[]>({ type: 'list', after: 0, limit: 10 })
    expect(records.map((r) => r.detail)).to.deep.equal(['{"name":"u1"}', '{"name":"u2"}', '{"name":"u3"}'])
    expect(records[0]?.prev).to.equal(GENESIS)
    expect(verifyAuditChain(records)).to.deep.include({ ok: true, seq: 3, hash: acks[2]?.hash })
    expect(await ask({ type: 'head' })).to.deep.equal({ seq: 3, hash: acks[2]?.hash })
    await node.restart()
    await ask({ type: 'record', entry: entry(4) })
    const all = await ask<AuditRecord[]>({ type: 'list', after: 0, limit: 10 })
    expect(verifyAuditChain(all)).to.deep.include({ ok: true, seq: 4 })
    expect((await ask<AuditRecord[]>({ type: 'list', after: 2, limit: 1 })).map((r) => r.seq)).to.deep.equal([3])
  })

  it('should journal only the fields of an entry it knows', async () => {
    await ask({ type: 'record', entry: { ...entry(1), token: 'plxu_secret', extra: 1 } })
    const [record] = await ask<AuditRecord[]>({ type: 'list', after: 0, limit: 1 })
    expect(record).to.not.have.any.keys('token', 'extra')
  })

  it('should refuse malformed messages, naming the field, and change nothing', async () => {
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
    const err = await ask({ type: 'record', entry: { ...entry(1), status: 'ok' } }).then(() => null, (e: Error) => e)
    expect(err?.message).to.match(/entry\.status/)
    expect(await ask({ type: 'head' })).to.deep.equal({ seq: 0, hash: GENESIS })
  })
})
