import { assertNever } from '../../protocols/index.ts'
import type { JournalRecord, ReplyTo } from '../kernel/index.ts'
import type { ChatMessage, ChatMessageKind, RoomEvent, RoomFeed, RoomInfo } from './chat-room-protocol.ts'
import { ROOMS, ROOM_DIRECTORY_KEY } from './room-directory-protocol.ts'
import { notifyHooks } from './room-hooks.ts'
import type { RoomContext } from './room-volatile.ts'
import { hasSeq } from './seq-ranges.ts'
import type { SeqRanges } from './seq-ranges.ts'

/**
 * Journals the event; once durable, runs `then`, pushes the message to every gateway and to the
 * after-post hooks. Not awaited: the next message is handled while the write is in flight. Returns
 * the write (it rejects when the write failed; nobody needs to handle that): the askers are told
 * why, or, when none waits, the room crashes (the kernel restarts it from its journal).
 */
export function record (ctx: RoomContext, event: RoomEvent, then: (message: ChatMessage) => void, askers: ReadonlyArray<ReplyTo<unknown>> = []): Promise<void> {
  const message = toMessage(ctx.key, { seq: ctx.seq + 1, event })
  const written = ctx.persist(event)
  written.then(() => {
    then(message)
    push(ctx, { type: 'room-message', message })
    notifyHooks(ctx, message)
  }, (err: unknown) => {
    if (askers.length === 0) ctx.crash(err)
    for (const to of askers) ctx.fail(to, err)
  }).catch((err: unknown) => {
    // a bug in `then`: crash as a handler would (never an unhandled rejection)
    ctx.crash(err)
  })
  return written
}

export function push (ctx: RoomContext, feed: RoomFeed): void {
  for (const [key, gateway] of ctx.volatile.subscribers) {
    if (!gateway.tell(feed)) ctx.volatile.subscribers.delete(key)
  }
}

/** A room's first event registers it in the room directory first (so that a room that has
 * messages is always listed). False when the directory could not be reached: the sender is told
 * why (nothing was written), and the room goes on, neither failed nor restarted. */
export async function ensureRegistered (ctx: RoomContext, user: string, askers: ReadonlyArray<ReplyTo<unknown>>): Promise<boolean> {
  if (ctx.seq > 0) return true
  try {
    await ctx.entity(ROOMS, ROOM_DIRECTORY_KEY)
      .ask<boolean>((replyTo) => ({ type: 'register', name: ctx.key, by: user, ts: Date.now(), replyTo }))
    return true
  } catch (err) {
    for (const to of askers) ctx.fail(to, err)
    return false
  }
}

export function info (ctx: RoomContext): RoomInfo {
  return { name: ctx.key, lastSeq: ctx.durableSeq, members: ctx.state.members, createdAt: ctx.state.createdAt, floor: ctx.floor }
}

function kindOf (event: RoomEvent): ChatMessageKind {
  switch (event.type) {
    case 'message-posted': return 'message'
    case 'member-joined': return 'join'
    case 'member-left': return 'leave'
    case 'message-redacted': return 'redaction'
    default: return assertNever(event, 'room event')
  }
}

/**
 * A journal record as a room's message. `redacted`: the room's redacted seqs; a post among them, or
 * one the store keeps redacted, has no text (whatever a stale replica still holds) and is marked.
 */
export function toMessage (room: string, record: JournalRecord<RoomEvent>, redacted?: SeqRanges): ChatMessage {
  const event = record.event
  if (event.type === 'message-redacted') {
    return { room, seq: record.seq, user: event.by, text: '', ts: event.ts, kind: 'redaction', redacts: event.seq }
  }
  const hidden = event.type === 'message-posted' && (event.redacted !== undefined || hasSeq(redacted, record.seq))
  return {
    room,
    seq: record.seq,
    user: event.user,
    text: event.type === 'message-posted' && !hidden ? event.text : '',
    ts: event.ts,
    kind: kindOf(event),
    ...(event.type === 'message-posted' && event.clientId !== undefined && { clientId: event.clientId }),
    ...(hidden && { redacted: true as const }),
    ...(event.type === 'message-posted' && event.importedFrom !== undefined && { importedFrom: event.importedFrom })
  }
}
