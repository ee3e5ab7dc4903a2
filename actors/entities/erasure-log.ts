import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { ERASURES, MAX_ERASED_USERS, MAX_REDACTION_RANGES, checkErasureLogMsg } from './erasure-log-protocol.ts'
import type { ErasedUser, ErasureLogEvent, ErasureLogMsg, ErasureLogState } from './erasure-log-protocol.ts'
import { ErasureLogFullError } from './errors.ts'
import { addSeq, hasSeq } from './seq-ranges.ts'

/** Snapshot after as many events as the log holds entries (at least this many), so that a
 * recovery replays about as much as a snapshot holds. */
const ERASURE_LOG_SNAPSHOT_EVERY = 1_000

/**
 * The erasure log: `erasures/all`. Every erasure of a user and every redaction is noted here
 * before it is carried out, and every restore applies the log to what it writes (node/erasure
 * ErasureFilter), so a restore never brings back erased data. Durable and replicated like every
 * entity; never in a restore's reach (node/backup skips it).
 */
export const erasureLog: EntityType<ErasureLogMsg, ErasureLogState, ErasureLogEvent> = {
  type: ERASURES.type,
  role: 'chat',
  snapshotEvery: (state) => Math.max(ERASURE_LOG_SNAPSHOT_EVERY, Object.keys(state.users).length + state.ranges),
  initialState: () => ({ users: {}, redactions: {}, ranges: 0 }),
  check: checkErasureLogMsg,
  applyEvent (state, event) {
    switch (event.type) {
      case 'user-erased':
        return { ...state, users: { ...state.users, [event.name]: { by: event.by, ts: event.ts } } }
      case 'post-redacted': {
        const before = state.redactions[event.room] ?? []
        const after = addSeq(before, event.seq)
        return { ...state, redactions: { ...state.redactions, [event.room]: after }, ranges: state.ranges + after.length - before.length }
      }
      default: return assertNever(event, 'erasure log event')
    }
  },
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'note-erasure': {
        if (!Object.hasOwn(ctx.state.users, msg.name) && Object.keys(ctx.state.users).length >= MAX_ERASED_USERS) {
          ctx.fail(msg.replyTo, new ErasureLogFullError(`the erasure log holds ${MAX_ERASED_USERS} users, as many as it may`))
          return
        }
        const entry: ErasedUser = { name: msg.name, by: msg.by, ts: Date.now() }
        await ctx.persist({ type: 'user-erased', ...entry })
        ctx.reply(msg.replyTo, entry)
        return
      }
      case 'note-redaction': {
        if (hasSeq(ctx.state.redactions[msg.room], msg.seq)) {
          ctx.reply(msg.replyTo, undefined)
          return
        }
        if (ctx.state.ranges >= MAX_REDACTION_RANGES) {
          ctx.fail(msg.replyTo, new ErasureLogFullError(`the erasure log holds ${MAX_REDACTION_RANGES} ranges of redacted posts, as many as it may`))
          return
        }
        await ctx.persist({ type: 'post-redacted', room: msg.room, seq: msg.seq, ts: Date.now() })
        ctx.reply(msg.replyTo, undefined)
        return
      }
      case 'view':
        ctx.reply(msg.replyTo, {
          users: Object.entries(ctx.state.users).map(([name, u]) => ({ name, by: u.by, ts: u.ts })).sort((a, b) => a.ts - b.ts),
          redactions: ctx.state.redactions
        })
        return
      default:
        assertNever(msg, 'erasure log message')
    }
  }
}
