import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { AUDIT, GENESIS, auditHash, checkAuditMsg } from './audit-log-protocol.ts'
import type { AuditEntry, AuditEvent, AuditMsg, AuditRecord, AuditState } from './audit-log-protocol.ts'

/**
 * The cluster's audit trail: `audit/cluster`, a single entity whose journal (replicated like any
 * other) is append-only and hash-chained. Each record carries the hash of the one before, so a
 * record changed, removed or put out of order is found by `verifyAuditChain`. Appends are
 * pipelined: the chain's head moves at once (the next record follows this one), and each is
 * answered once durable.
 */
export const auditLog: EntityType<AuditMsg, AuditState, AuditEvent> = {
  type: AUDIT.type,
  role: 'chat',
  initialState: () => ({ count: 0, head: GENESIS }),
  applyEvent: (state, event) => ({ count: state.count + 1, head: event.hash }),
  check: checkAuditMsg,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'record': {
        const ts = Date.now()
        const entry = entryOf(msg.entry)
        const prev = ctx.state.head
        const seq = ctx.state.count + 1
        const hash = auditHash(prev, ts, entry)
        ctx.persist({ type: 'recorded', ts, entry, prev, hash })
          .then(() => { ctx.reply(msg.replyTo, { seq, hash }) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return
      }
      case 'list': {
        const records = await ctx.events(msg.after + 1, msg.limit)
        ctx.reply(msg.replyTo, records.map((r): AuditRecord => ({ seq: r.seq, ts: r.event.ts, ...r.event.entry, prev: r.event.prev, hash: r.event.hash })))
        return
      }
      case 'head':
        ctx.reply(msg.replyTo, { seq: ctx.state.count, hash: ctx.state.head })
        return
      default: return assertNever(msg, 'audit message')
    }
  }
}

/** The entry's own fields only (a peer may send more; nothing unknown is journaled). */
function entryOf (e: AuditEntry): AuditEntry {
  return { actor: e.actor, node: e.node, ip: e.ip, action: e.action, target: e.target, outcome: e.outcome, status: e.status, detail: e.detail }
}
