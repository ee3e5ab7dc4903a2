import { MAX_HISTORY_LIMIT, assertNever, describe } from '../../protocols/index.ts'
import type { ActorRef, EntityContext, EntityType, JournalRecord } from '../kernel/index.ts'
import { AGENT_MENTION, ROOM, agentDisplayName } from './chat-room-protocol.ts'
import type { ChatMessage, ChatMessageKind, RoomEvent, RoomFeed, RoomInfo, RoomMsg, RoomState } from './chat-room-protocol.ts'
import { ROOMS, ROOM_DIRECTORY_KEY } from './room-directory-protocol.ts'
import { AGENT } from './user-agent-protocol.ts'
import type { AgentAnswer } from './user-agent-protocol.ts'

interface RoomVolatile {
  /** Subscribed gateways by `node/path` (on any node): one push per gateway, which fans out to its
   * clients. A gateway that cannot take a push is dropped; it renews its subscription and its
   * clients fetch the gap from history. */
  readonly subscribers: Map<string, ActorRef<RoomFeed>>
  /** Agents answering in this room, by request id. */
  readonly answering: Map<string, { readonly user: string, readonly inReplyTo: number }>
}

/** An agent answering in a room may wait in queues and generate for a long time. */
const AGENT_ANSWER_TIMEOUT_MS = 30 * 60_000

type RoomContext = EntityContext<RoomMsg, RoomState, RoomEvent, RoomVolatile>

/**
 * A chat room: `room/<name>`. Every post, join and leave is an event of the room's journal, so
 * the journal seq is the room's message seq. A poster is acknowledged, and subscribers are sent
 * the message, only once it is durable; writes are pipelined, so a busy room shares fsyncs.
 */
export const chatRoom: EntityType<RoomMsg, RoomState, RoomEvent, RoomVolatile> = {
  type: ROOM.type,
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
  createVolatile: () => ({ subscribers: new Map(), answering: new Map() }),
  canPassivate: (ctx) => ctx.volatile.subscribers.size === 0 && ctx.volatile.answering.size === 0,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'post':
        await ensureRegistered(ctx, msg.user)
        record(ctx, { type: 'message-posted', user: msg.user, text: msg.text, ts: Date.now() }, (m) => {
          ctx.reply(msg.replyTo, { room: m.room, seq: m.seq, ts: m.ts })
          if (AGENT_MENTION.test(m.text)) askAgent(ctx, m)
        }, msg.replyTo)
        return
      case 'agent-stream': {
        const answering = ctx.volatile.answering.get(msg.requestId)
        if (answering === undefined || msg.event.kind !== 'token') return
        const feed: RoomFeed = {
          type: 'agent-partial',
          partial: { room: ctx.key, requestId: msg.requestId, user: agentDisplayName(answering.user), text: msg.event.text, inReplyTo: answering.inReplyTo }
        }
        push(ctx, feed)
        return
      }
      case 'agent-replied': {
        const answering = ctx.volatile.answering.get(msg.requestId)
        if (answering === undefined) return
        ctx.volatile.answering.delete(msg.requestId)
        const text = msg.error !== undefined ? `(no answer: ${msg.error})` : msg.text.length > 0 ? msg.text : '(no answer: stopped before the first word)'
        record(ctx, { type: 'message-posted', user: agentDisplayName(answering.user), text, ts: Date.now() }, () => undefined, undefined)
        return
      }
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
        // wherever the gateway is: a push it cannot take drops it, and it renews (see push)
        ctx.volatile.subscribers.set(gatewayKey(msg.gateway), ctx.actorAt<RoomFeed>(msg.gateway))
        ctx.reply(msg.replyTo, { lastSeq: ctx.durableSeq })
        return
      }
      case 'unsubscribe':
        ctx.volatile.subscribers.delete(gatewayKey(msg.gateway))
        return
      default:
        assertNever(msg, 'room message')
    }
  }
}

/**
 * The poster's agent answers a message that mentioned @agent: its tokens come back as
 * `agent-stream` messages (pushed on to live subscribers), its whole answer as `agent-replied`,
 * which the room posts as `<user>'s agent`. Neither waits in this handler: the room goes on.
 */
function askAgent (ctx: RoomContext, message: ChatMessage): void {
  const requestId = `room/${ctx.key}/${message.seq}`
  const user = message.user
  ctx.volatile.answering.set(requestId, { user, inReplyTo: message.seq })
  const self = ctx.self
  const replied = (text: string, error?: string): void => {
    self.tell({ type: 'agent-replied', requestId, text, ...(error !== undefined && { error }) })
  }
  try {
    ctx.entity(AGENT, user).ask<AgentAnswer>((replyTo) => ({
      type: 'ask', user, text: message.text, requestId, sink: { kind: 'entity', type: ROOM.type, key: ctx.key }, replyTo
    }), { timeout: AGENT_ANSWER_TIMEOUT_MS }).then((answer) => { replied(answer.text) }, (err: unknown) => { replied('', reason(err)) })
  } catch (err) {
    replied('', reason(err))
  }
}

function reason (err: unknown): string {
  return err instanceof Error ? err.message : describe(err)
}

/** Journals the event; once durable, runs `then` and pushes the message to every gateway.
 * Not awaited: the next message is handled while the write is in flight. */
function record (ctx: RoomContext, event: RoomEvent, then: (message: ChatMessage) => void, replyTo: Parameters<RoomContext['fail']>[0] | undefined): void {
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
    push(ctx, { type: 'room-message', message })
  }, (err: unknown) => {
    if (replyTo !== undefined) ctx.fail(replyTo, err)
    else ctx.crash(err)
  })
}

function push (ctx: RoomContext, feed: RoomFeed): void {
  for (const [key, gateway] of ctx.volatile.subscribers) {
    if (!gateway.tell(feed)) ctx.volatile.subscribers.delete(key)
  }
}

function gatewayKey (address: { readonly node: string, readonly path: string }): string {
  return `${address.node}${address.path}`
}

/** A room's first event registers it in the room directory first (so that a room that has
 * messages is always listed). */
async function ensureRegistered (ctx: RoomContext, user: string): Promise<void> {
  if (ctx.seq > 0) return
  await ctx.entity(ROOMS, ROOM_DIRECTORY_KEY)
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
