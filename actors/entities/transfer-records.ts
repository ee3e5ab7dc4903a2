import { assertNever } from '../../protocols/index.ts'
import type { AgentRecord, RoomRecord } from '../../protocols/index.ts'
import type { RoomEvent } from './chat-room-protocol.ts'
import type { AgentEvent } from './user-agent-protocol.ts'

/** Journal records as export records (protocols/transfer): what an export writes of each event. */

/** A room's journal record as an export record. `redacted`: the room says its text was taken
 * (the record may still hold it on a stale replica: it is left out all the same). */
export function roomRecord (seq: number, event: RoomEvent, redacted: boolean): RoomRecord {
  switch (event.type) {
    case 'message-redacted': return { seq, kind: 'redaction', user: event.by, ts: event.ts, redacts: event.seq }
    case 'message-posted': {
      const gone = redacted || event.redacted !== undefined
      return {
        seq,
        kind: 'message',
        user: event.user,
        ts: event.ts,
        ...(gone ? { redacted: true } : { text: event.text }),
        ...(event.clientId !== undefined && { clientId: event.clientId }),
        ...(event.importedFrom !== undefined && { importedFrom: event.importedFrom })
      }
    }
    case 'member-joined': return { seq, kind: 'join', user: event.user, ts: event.ts }
    case 'member-left': return { seq, kind: 'leave', user: event.user, ts: event.ts }
    default: return assertNever(event, 'room event')
  }
}

/**
 * `JSON.stringify(roomRecord(seq, event, redacted))`, the same string to the byte, made without the
 * record object (an export renders hundreds of thousands a second: a post's line is its fields'
 * JSON side by side). Anything else than a post of the usual shape goes through roomRecord.
 */
export function roomRecordJson (seq: number, event: RoomEvent, redacted: boolean): string {
  if (event.type !== 'message-posted' || typeof event.user !== 'string' || typeof event.text !== 'string' || !Number.isFinite(event.ts) || !Number.isSafeInteger(seq)) {
    return JSON.stringify(roomRecord(seq, event, redacted))
  }
  const gone = redacted || event.redacted !== undefined
  let line = `{"seq":${seq},"kind":"message","user":${JSON.stringify(event.user)},"ts":${event.ts}${gone ? ',"redacted":true' : `,"text":${JSON.stringify(event.text)}`}`
  if (event.clientId !== undefined) line += `,"clientId":${JSON.stringify(event.clientId)}`
  if (event.importedFrom !== undefined) line += `,"importedFrom":${JSON.stringify(event.importedFrom)}`
  return `${line}}`
}

/** An agent's journal record as an export record: its event whole, `type` renamed `kind`. */
export function agentRecord (seq: number, event: AgentEvent): AgentRecord {
  const { type, ...fields } = event
  return { seq, kind: type, ...fields }
}
