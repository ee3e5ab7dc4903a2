import { assertNever } from './assert-never.ts'
import { roomDirectory } from './room-directory.ts'
import type { ActorRef } from './actor-ref.ts'
import type { ChatMessage, ChatMessageKind, RoomEvent, RoomFeed, RoomInfo, RoomMsg, RoomState } from './chat-room-protocol.ts'
import { MAX_HISTORY_LIMIT } from './chat-room-protocol.ts'
import type { EntityContext, EntityType } from './entity-type.ts'
import type { JournalRecord } from './journal.ts'

interface RoomVolatile {
  /** Subscribed gateways by actor path: one push per gateway, which fans out to its clients. */
  readonly subscribers: Map<string, ActorRef<RoomFeed>>
}

type RoomContext = EntityContext<RoomMsg, RoomState, RoomEvent, RoomVolatile>

/**
 * A chat room: `room/<name>`. Every post, join and leave is an event of the room's journal, so
 * the journal seq is the room's message seq. A poster is acknowledged, and subscribers are sent
 * the message, only once it is durable; writes are pipelined, so a busy room shares fsyncs.
 */
export const chatRoom: EntityType<RoomMsg, RoomState, RoomEvent, RoomVolatile> = {
  type: 'room',
  role: 'chat',
  initialState: () => ({ createdAt: 0, members: [] }),
  applyEvent (state, event) {
    const createdAt = state.createdAt === 0 ? event.ts : state.createdAt
    switch (event.type) {
      case 'message-posted': return createdAt === state.createdAt ? state : { ...state, createdAt }
      case 'member-joined': return { createdAt, members: [...state.members, event.user].sort() }
      case 'member-left': return { createdAt, members: state.members.filter((m) => m !== event.user) }
      default: return assertNever(event, 'room event')
    }
  },
  createVolatile: () => ({ subscribers: new Map() }),
  canPassivate: (ctx) => ctx.volatile.subscribers.size === 0,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'post':
        await ensureRegistered(ctx, msg.user)
        record(ctx, { type: 'message-posted', user: msg.user, text: msg.text, ts: Date.now() }, (m) => {
          ctx.reply(msg.replyTo, { room: m.room, seq: m.seq, ts: m.ts })
        }, msg.replyTo)
        return
      case 'join':
        if (ctx.state.members.includes(msg.user)) {
          ctx.reply(msg.replyTo, info(ctx))
          return
        }
        await ensureRegistered(ctx, msg.user)
        record(ctx, { type: 'member-joined', user: msg.user, ts: Date.now() }, () => { ctx.reply(msg.replyTo, info(ctx)) }, msg.replyTo)
        return
      case 'leave':
        if (!ctx.state.members.includes(msg.user)) {
          ctx.reply(msg.replyTo, info(ctx))
          return
        }
        record(ctx, { type: 'member-left', user: msg.user, ts: Date.now() }, () => { ctx.reply(msg.replyTo, info(ctx)) }, msg.replyTo)
        return
      case 'history': {
        const limit = Math.min(Math.max(1, Math.floor(msg.limit)), MAX_HISTORY_LIMIT)
        const records = await ctx.events(Math.max(0, Math.floor(msg.after)) + 1, limit)
        ctx.reply(msg.replyTo, records.map((r) => toMessage(ctx.key, r)))
        return
      }
      case 'info':
        ctx.reply(msg.replyTo, info(ctx))
        return
      case 'subscribe': {
        const ref = ctx.system.node === msg.gateway.node ? ctx.system.lookup<RoomFeed>(msg.gateway.path) : undefined
        if (ref === undefined) {
          ctx.fail(msg.replyTo, new Error(`no gateway at ${msg.gateway.node}${msg.gateway.path}`))
          return
        }
        ctx.volatile.subscribers.set(msg.gateway.path, ref)
        ctx.reply(msg.replyTo, { lastSeq: ctx.durableSeq })
        return
      }
      case 'unsubscribe':
        ctx.volatile.subscribers.delete(msg.gateway.path)
        return
      default:
        assertNever(msg, 'room message')
    }
  }
}

/** Journals the event; once durable, runs `then` and pushes the message to every gateway.
 * Not awaited: the next message is handled while the write is in flight. */
function record (ctx: RoomContext, event: RoomEvent, then: (message: ChatMessage) => void, replyTo: Parameters<RoomContext['fail']>[0]): void {
  const message: ChatMessage = {
    room: ctx.key,
    seq: ctx.seq + 1,
    user: event.user,
    text: event.type === 'message-posted' ? event.text : '',
    ts: event.ts,
    kind: kindOf(event)
  }
  ctx.persist(event).then(() => {
    then(message)
    const feed: RoomFeed = { type: 'room-message', message }
    for (const gateway of ctx.volatile.subscribers.values()) gateway.tell(feed)
  }, (err: unknown) => { ctx.fail(replyTo, err) })
}

/** A room's first event registers it in the room directory first (so that a room that has
 * messages is always listed). */
async function ensureRegistered (ctx: RoomContext, user: string): Promise<void> {
  if (ctx.seq > 0) return
  await ctx.system.entity(roomDirectory, 'all')
    .ask<boolean>((replyTo) => ({ type: 'register', name: ctx.key, by: user, ts: Date.now(), replyTo }))
}

function info (ctx: RoomContext): RoomInfo {
  return { name: ctx.key, lastSeq: ctx.durableSeq, members: ctx.state.members, createdAt: ctx.state.createdAt }
}

function kindOf (event: RoomEvent): ChatMessageKind {
  switch (event.type) {
    case 'message-posted': return 'message'
    case 'member-joined': return 'join'
    case 'member-left': return 'leave'
    default: return assertNever(event, 'room event')
  }
}

function toMessage (room: string, record: JournalRecord<RoomEvent>): ChatMessage {
  const event = record.event
  return {
    room,
    seq: record.seq,
    user: event.user,
    text: event.type === 'message-posted' ? event.text : '',
    ts: event.ts,
    kind: kindOf(event)
  }
}
