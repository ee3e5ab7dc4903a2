import { assertNever } from '../../protocols/index.ts'
import type { AgentRecord, RoomRecord } from '../../protocols/index.ts'
import type { RoomEvent } from './chat-room-protocol.ts'
import type { AgentEvent } from './user-agent-protocol.ts'

/** Journal records as export records (protocols/transfer): what an export writes of each event. */

/** A room's journal record as an export record. `redacted`: the room says its text was taken
 * (the record may still hold it on a stale replica: it is left out all the same). A
 * `message-redacted { seq, by, ts }` event (the redaction workstream's) is known by its name. */
export function roomRecord (seq: number, event: RoomEvent, redacted: boolean): RoomRecord {
  const raw = event as unknown as { readonly type: string, readonly seq?: unknown, readonly by?: unknown, readonly ts: number }
  if (raw.type === 'message-redacted') {
    return { seq, kind: 'redaction', user: String(raw.by), ts: raw.ts, redacts: Number(raw.seq) }
  }
  // (every other event: the same whether RoomEvent has the redaction or not yet)
  const e = event as Exclude<RoomEvent, { readonly type: 'message-redacted' }>
  switch (e.type) {
    case 'message-posted': {
      const gone = redacted || (e as { readonly redacted?: unknown }).redacted === true
      return {
        seq,
        kind: 'message',
        user: e.user,
        ts: e.ts,
        ...(gone ? { redacted: true } : { text: e.text }),
        ...(e.clientId !== undefined && { clientId: e.clientId }),
        ...(e.importedFrom !== undefined && { importedFrom: e.importedFrom })
      }
    }
    case 'member-joined': return { seq, kind: 'join', user: e.user, ts: e.ts }
    case 'member-left': return { seq, kind: 'leave', user: e.user, ts: e.ts }
    default: return assertNever(e, 'room event')
  }
}

/** An agent's journal record as an export record: its event whole, `type` renamed `kind`. */
export function agentRecord (seq: number, event: AgentEvent): AgentRecord {
  const { type, ...fields } = event
  return { seq, kind: type, ...fields }
}
