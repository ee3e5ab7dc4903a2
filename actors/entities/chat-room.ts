import { MAX_HISTORY_LIMIT, assertNever, describe } from '../../protocols/index.ts'
import { InvalidMessageError, isActorAddress } from '../kernel/index.ts'
import type { ActorAddress, ActorRef, EntityContext, EntityType, JournalRecord, ReplyTo } from '../kernel/index.ts'
import { isUserName } from '../../protocols/index.ts'
import { MAX_REQUEST_ID_LENGTH } from './user-agent-protocol.ts'
import { AGENT_MENTION, RECENT_POSTERS, RECENT_POST_IDS_PER_USER, ROOM, agentDisplayName, checkRoomMsg, postKey } from './chat-room-protocol.ts'
import type { ChatMessage, ChatMessageKind, PostReceipt, RoomEvent, RoomFeed, RoomInfo, RoomMsg, RoomState } from './chat-room-protocol.ts'
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
  /** Posts with a client id whose write is in flight, by seq: a retry of one waits for it to be
   * durable before it is acknowledged (see repeat). */
  readonly writing: Map<number, Promise<void>>
}

/** What of RoomVolatile a live migration carries (plain data). */
interface MovedVolatile {
  readonly subscribers: ActorAddress[]
  /** [requestId, user, inReplyTo] */
  readonly answering: Array<[string, string, number]>
}

/** A room has a gateway per node at most, and an agent per poster answering at most. */
const MAX_MOVED_SUBSCRIBERS = 4_096
const MAX_MOVED_ANSWERING = 4_096

/** The moved volatile state as it came off the wire: every field checked, or a throw. */
function checkMovedVolatile (data: unknown): MovedVolatile {
  const { subscribers, answering } = (data ?? {}) as { subscribers?: unknown, answering?: unknown }
  if (!Array.isArray(subscribers) || subscribers.length > MAX_MOVED_SUBSCRIBERS || !subscribers.every(isActorAddress)) {
    throw new InvalidMessageError(`moved room state: subscribers must be at most ${MAX_MOVED_SUBSCRIBERS} actor addresses`)
  }
  if (!Array.isArray(answering) || answering.length > MAX_MOVED_ANSWERING || !answering.every((a: unknown) => Array.isArray(a) && a.length === 3 &&
    typeof a[0] === 'string' && a[0].length > 0 && a[0].length <= MAX_REQUEST_ID_LENGTH && isUserName(a[1]) && Number.isSafeInteger(a[2]) && (a[2] as number) > 0)) {
    throw new InvalidMessageError(`moved room state: answering must be at most ${MAX_MOVED_ANSWERING} [requestId, user, seq] entries`)
  }
  return { subscribers: subscribers.map((a: ActorAddress) => ({ node: a.node, path: a.path })), answering: answering as Array<[string, string, number]> }
}

/** An agent answering in a room may wait in queues and generate for a long time. */
const AGENT_ANSWER_TIMEOUT_MS = 30 * 60_000

type RoomContext = EntityContext<RoomMsg, RoomState, RoomEvent, RoomVolatile>
type PostMsg = Extract<RoomMsg, { type: 'post' }>

/**
 * A chat room: `room/<name>`. Every post, join and leave is an event of the room's journal, so
 * the journal seq is the room's message seq. A poster is acknowledged, and subscribers are sent
 * the message, only once it is durable; writes are pipelined, so a busy room shares fsyncs.
 */
export const chatRoom: EntityType<RoomMsg, RoomState, RoomEvent, RoomVolatile> = {
  type: ROOM.type,
  role: 'chat',
  initialState: () => ({ createdAt: 0, members: [], recentPosts: {} }),
  applyEvent (state, event, seq) {
    const createdAt = state.createdAt === 0 ? event.ts : state.createdAt
    switch (event.type) {
      case 'message-posted': {
        const key = postKey(event)
        if (key !== undefined) {
          return { ...state, createdAt, recentPosts: remember(state.recentPosts ?? {}, event.user, { clientId: key, seq, ts: event.ts }) }
        }
        return createdAt === state.createdAt ? state : { ...state, createdAt }
      }
      case 'member-joined': return { ...state, createdAt, members: [...state.members, event.user].sort() }
      case 'member-left': return { ...state, createdAt, members: state.members.filter((m) => m !== event.user) }
      default: return assertNever(event, 'room event')
    }
  },
  check: checkRoomMsg,
  createVolatile: () => ({ subscribers: new Map(), answering: new Map(), writing: new Map() }),
  // a live migration carries the subscribed gateways (they keep getting every message, with no
  // renewal needed) and the agents answering (their answers reach the room wherever it is)
  exportVolatile: (v): MovedVolatile => ({
    subscribers: [...v.subscribers.values()].map((ref) => ref.address),
    answering: [...v.answering].map(([requestId, a]) => [requestId, a.user, a.inReplyTo])
  }),
  importVolatile (_key, data, refs) {
    const moved = checkMovedVolatile(data)
    const subscribers = new Map<string, ActorRef<RoomFeed>>()
    for (const address of moved.subscribers) subscribers.set(gatewayKey(address), refs.actorAt<RoomFeed>(address))
    return { subscribers, answering: new Map(moved.answering.map(([requestId, user, inReplyTo]) => [requestId, { user, inReplyTo }])), writing: new Map() }
  },
  // a newer owner took the room (failover racing this one): the gateways subscribed here subscribe
  // again, reaching it; their streams fetch what they missed from history
  superseded (v, key) {
    for (const ref of v.subscribers.values()) ref.tell({ type: 'room-moved', room: key })
  },
  canPassivate: (ctx) => ctx.volatile.subscribers.size === 0 && ctx.volatile.answering.size === 0,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'post': {
        const key = postKey(msg)
        const seen = key === undefined ? undefined : receiptOf(ctx.state, msg.user, key)
        if (seen !== undefined) {
          repeat(ctx, msg, seen)
          return
        }
        if (!await ensureRegistered(ctx, msg.user, msg.replyTo)) return
        const event: RoomEvent = { type: 'message-posted', user: msg.user, text: msg.text, ts: Date.now(), ...(msg.clientId !== undefined && { clientId: msg.clientId }), ...(msg.ref !== undefined && { ref: msg.ref }) }
        const written = record(ctx, event, (m) => {
          ctx.reply(msg.replyTo, { room: m.room, seq: m.seq, ts: m.ts })
          if (AGENT_MENTION.test(m.text)) askAgent(ctx, m)
        }, msg.replyTo)
        if (key !== undefined) {
          const seq = ctx.seq
          ctx.volatile.writing.set(seq, written)
          written.then(() => { ctx.volatile.writing.delete(seq) }, () => { ctx.volatile.writing.delete(seq) })
        }
        return
      }
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
        if (!await ensureRegistered(ctx, msg.user, msg.replyTo)) return
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
 * Not awaited: the next message is handled while the write is in flight. Returns the write (it
 * rejects when the write failed; nobody needs to handle that). */
function record (ctx: RoomContext, event: RoomEvent, then: (message: ChatMessage) => void, replyTo: Parameters<RoomContext['fail']>[0] | undefined): Promise<void> {
  const message = toMessage(ctx.key, { seq: ctx.seq + 1, event })
  const written = ctx.persist(event)
  written.then(() => {
    then(message)
    push(ctx, { type: 'room-message', message })
  }, (err: unknown) => {
    if (replyTo !== undefined) ctx.fail(replyTo, err)
    else ctx.crash(err)
  }).catch((err: unknown) => {
    // a bug in `then`: crash as a handler would (never an unhandled rejection)
    ctx.crash(err)
  })
  return written
}

/**
 * A post repeating a (user, client id) the room has seen: answered with the first post's ack, and
 * nothing is journaled. The first may still be in flight: the ack waits for it to be durable (and
 * a failed write fails the retry too, which the client retries again).
 */
function repeat (ctx: RoomContext, msg: PostMsg, seen: PostReceipt): void {
  const ack = { room: ctx.key, seq: seen.seq, ts: seen.ts }
  const writing = seen.seq > ctx.durableSeq ? ctx.volatile.writing.get(seen.seq) : undefined
  if (writing === undefined) {
    ctx.reply(msg.replyTo, ack)
    return
  }
  writing.then(() => { ctx.reply(msg.replyTo, ack) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
}

function receiptOf (state: RoomState, user: string, clientId: string): PostReceipt | undefined {
  const posts = state.recentPosts ?? {}
  return Object.hasOwn(posts, user) ? posts[user]?.find((r) => r.clientId === clientId) : undefined
}

/**
 * The table of recent posts with `receipt` added for `user`: the user's last
 * RECENT_POST_IDS_PER_USER, for the RECENT_POSTERS users who posted with an id most recently. The
 * user moves to the end (objects keep insertion order, msgpackr too), so the first is the one to
 * forget. Built with fromEntries: a user name is only ever an own key.
 */
function remember (posts: Readonly<Record<string, readonly PostReceipt[]>>, user: string, receipt: PostReceipt): Record<string, readonly PostReceipt[]> {
  const own = Object.hasOwn(posts, user) ? posts[user] ?? [] : []
  const entries = Object.entries(posts).filter(([u]) => u !== user)
  entries.push([user, [...own.slice(Math.max(0, own.length - (RECENT_POST_IDS_PER_USER - 1))), receipt]])
  return Object.fromEntries(entries.length > RECENT_POSTERS ? entries.slice(entries.length - RECENT_POSTERS) : entries)
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
 * messages is always listed). False when the directory could not be reached: the sender is told
 * why (nothing was written), and the room goes on, neither failed nor restarted. */
async function ensureRegistered (ctx: RoomContext, user: string, replyTo: ReplyTo<unknown>): Promise<boolean> {
  if (ctx.seq > 0) return true
  try {
    await ctx.entity(ROOMS, ROOM_DIRECTORY_KEY)
      .ask<boolean>((replyTo) => ({ type: 'register', name: ctx.key, by: user, ts: Date.now(), replyTo }))
    return true
  } catch (err) {
    ctx.fail(replyTo, err)
    return false
  }
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
    kind: kindOf(event),
    ...(event.type === 'message-posted' && event.clientId !== undefined && { clientId: event.clientId })
  }
}
