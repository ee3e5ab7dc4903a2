import { expect } from 'chai'
import { AUDIT, AUDIT_LOG_KEY, GENESIS, auditLog, verifyAuditChain } from '../../../actors/index.ts'
import type { AuditRecord } from '../../../actors/index.ts'
import { auditEntry as entry } from '../../helpers/audit-records.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

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
    const err = await ask({ type: 'record', entry: { ...entry(1), status: 'ok' } }).then(() => null, (e: Error) => e)
    expect(err?.message).to.match(/entry\.status/)
    expect(await ask({ type: 'head' })).to.deep.equal({ seq: 0, hash: GENESIS })
  })
})
