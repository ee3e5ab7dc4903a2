import { ROOM, checkRoomFeed, isSuperseded } from '../../actors/index.ts'
import type { ActorContext, AgentPartial, Behavior, ChatMessage, ReplyTo, RoomFeed } from '../../actors/index.ts'
import { assertNever, describe, kindOf } from '../../protocols/index.ts'
import { RESUBSCRIBE_MS, RESUBSCRIBE_RETRY_MS } from './constants.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** Where every node's chat gateway lives: rooms fan their posts out to it. */
export const CHAT_GATEWAY_PATH = systemPath('chat-gateway', 1)

/** A local subscriber (one gRPC Subscribe call). */
export interface RoomSink {
  push (message: ChatMessage): void
  /** A piece of an agent's answer (not stored; for subscribers that are live). */
  partial (partial: AgentPartial): void
  /** The gateway cannot serve this sink any more (subscription failed, node shutting down). */
  close (reason: string): void
  /** The room's journal reached `lastSeq` (a subscription's answer): a sink behind it fetches what
   * it missed from history (pushes lost while the room changed owner). */
  reached? (lastSeq: number): void
}

export type GatewayMsg =
  | RoomFeed
  /** Replies once the gateway is subscribed to the room: every message made durable after the
   * reply is pushed to the sink, every one before it is in the room's history. */
  | { readonly type: 'attach', readonly room: string, readonly sink: RoomSink, readonly replyTo: ReplyTo<void> }
  | { readonly type: 'detach', readonly room: string, readonly sink: RoomSink }
  | { readonly type: 'subscribed', readonly room: string, readonly error?: string }
  | { readonly type: 'resubscribe' }
  /** Renews one room's subscription (after `room-moved`, or again after a renewal the room refused
   * because it was changing owner); `attempt` counts the tries (RESUBSCRIBE_RETRY_MS). */
  | { readonly type: 'resubscribe-room', readonly room: string, readonly attempt: number }
  /** Asks again for a room's first subscription, which its owner refused because the room was
   * moving (superseded); `attempt` counts the tries (RESUBSCRIBE_RETRY_MS). */
  | { readonly type: 'subscribe-room', readonly room: string, readonly attempt: number }
  /** A renewal's answer: the room's journal is at `lastSeq`. */
  | { readonly type: 'room-at', readonly room: string, readonly lastSeq: number }
  /** Closes every sink (shutdown); replies with how many there were. */
  | { readonly type: 'close-all', readonly reason: string, readonly replyTo: ReplyTo<number> }

interface RoomEntry {
  readonly sinks: ReadonlySet<RoomSink>
  readonly subscribed: boolean
  /** Attaches waiting for the subscription. */
  readonly waiting: ReadonlyArray<ReplyTo<void>>
}

type GatewayState = ReadonlyMap<string, RoomEntry>

/**
 * The node's chat gateway: subscribed once to each room that has local subscribers, it fans each
 * pushed message out to them (one message per gateway, not per client).
 */
export function chatGateway (): Behavior<GatewayMsg, GatewayState> {
  return {
    // from other nodes only rooms' pushes: attach, detach and the rest hold this node's own sinks
    checkPeer: checkRoomFeed,
    init (ctx) {
      ctx.timers.startPeriodic('resubscribe', { type: 'resubscribe' }, RESUBSCRIBE_MS)
      return new Map()
    },
    receive (rooms, msg, ctx) {
      switch (msg.type) {
        case 'room-message': {
          const entry = rooms.get(msg.message.room)
          if (entry !== undefined) for (const sink of entry.sinks) sink.push(msg.message)
          return rooms
        }
        case 'agent-partial': {
          const entry = rooms.get(msg.partial.room)
          if (entry !== undefined) for (const sink of entry.sinks) sink.partial(msg.partial)
          return rooms
        }
        case 'room-moved':
          if (rooms.get(msg.room)?.subscribed === true) subscribe(ctx, msg.room, 0)
          return rooms
        case 'resubscribe-room':
          if (rooms.get(msg.room)?.subscribed === true) subscribe(ctx, msg.room, msg.attempt)
          return rooms
        case 'subscribe-room':
          if (rooms.get(msg.room)?.subscribed === false) subscribe(ctx, msg.room, undefined, msg.attempt)
          return rooms
        case 'room-at': {
          const entry = rooms.get(msg.room)
          if (entry !== undefined) for (const sink of entry.sinks) sink.reached?.(msg.lastSeq)
          return rooms
        }
        case 'attach':
          return attach(rooms, msg, ctx)
        case 'detach':
          return detach(rooms, msg, ctx)
        case 'subscribed':
          return subscribed(rooms, msg, ctx)
        case 'resubscribe':
          for (const [room, entry] of rooms) if (entry.subscribed) subscribe(ctx, room, 0)
          return rooms
        case 'close-all':
          return closeAll(rooms, msg, ctx)
        default:
          return assertNever(msg, 'gateway message')
      }
    }
  }
}

type Msg<T extends GatewayMsg['type']> = Extract<GatewayMsg, { type: T }>

/** A local sink for `room`: the first one subscribes the gateway to the room (the attach is
 * answered once subscribed); the others join it. */
function attach (rooms: GatewayState, msg: Msg<'attach'>, ctx: ActorContext<GatewayMsg>): GatewayState {
  const entry = rooms.get(msg.room)
  if (entry === undefined) {
    subscribe(ctx, msg.room)
    return withRoom(rooms, msg.room, { sinks: new Set([msg.sink]), subscribed: false, waiting: [msg.replyTo] })
  }
  if (entry.subscribed) ctx.reply(msg.replyTo, undefined)
  return withRoom(rooms, msg.room, {
    sinks: new Set([...entry.sinks, msg.sink]),
    subscribed: entry.subscribed,
    waiting: entry.subscribed ? entry.waiting : [...entry.waiting, msg.replyTo]
  })
}

/** A sink leaves; the last one of a room unsubscribes the gateway from it. */
function detach (rooms: GatewayState, msg: Msg<'detach'>, ctx: ActorContext<GatewayMsg>): GatewayState {
  const entry = rooms.get(msg.room)
  if (entry === undefined || !entry.sinks.has(msg.sink)) return rooms
  const sinks = new Set(entry.sinks)
  sinks.delete(msg.sink)
  if (sinks.size > 0) return withRoom(rooms, msg.room, { ...entry, sinks })
  ctx.entity(ROOM, msg.room).tell({ type: 'unsubscribe', gateway: ctx.self.address })
  return withoutRoom(rooms, msg.room)
}

/** The room answered the first subscription: the waiting attaches are answered, or on an error
 * every sink of the room is closed and the attaches fail. */
function subscribed (rooms: GatewayState, msg: Msg<'subscribed'>, ctx: ActorContext<GatewayMsg>): GatewayState {
  const entry = rooms.get(msg.room)
  if (entry === undefined) return rooms
  if (msg.error !== undefined) {
    const reason = `cannot subscribe to room ${msg.room}: ${msg.error}`
    for (const sink of entry.sinks) sink.close(reason)
    for (const replyTo of entry.waiting) ctx.fail(replyTo, new Error(reason))
    return withoutRoom(rooms, msg.room)
  }
  for (const replyTo of entry.waiting) ctx.reply(replyTo, undefined)
  return withRoom(rooms, msg.room, { sinks: entry.sinks, subscribed: true, waiting: [] })
}

/** Shutdown: every sink is closed and every room told; answers how many sinks there were. */
function closeAll (rooms: GatewayState, msg: Msg<'close-all'>, ctx: ActorContext<GatewayMsg>): GatewayState {
  let count = 0
  for (const [room, entry] of rooms) {
    for (const sink of entry.sinks) {
      sink.close(msg.reason)
      count++
    }
    ctx.entity(ROOM, room).tell({ type: 'unsubscribe', gateway: ctx.self.address })
  }
  ctx.reply(msg.replyTo, count)
  return new Map()
}

/** Subscribes to `room`; `renewal`: the try of a renewal (0 the first), else the first subscription
 * (`first`: its try). */
function subscribe (ctx: ActorContext<GatewayMsg>, room: string, renewal?: number, first = 0): void {
  ctx.entity(ROOM, room)
    .ask<{ lastSeq: number }>((replyTo) => ({ type: 'subscribe', gateway: ctx.self.address, replyTo }))
    .then(
      ({ lastSeq }) => {
        if (renewal === undefined) ctx.self.tell({ type: 'subscribed', room })
        else ctx.self.tell({ type: 'room-at', room, lastSeq })
      },
      (err: unknown) => {
        if (renewal === undefined) {
          // the room moved while its owner was taking it: its next owner is asked again shortly, as
          // a renewal would be, rather than failing the subscriber (who would have to resubscribe)
          const wait = isSuperseded(err) ? RESUBSCRIBE_RETRY_MS[first] : undefined
          if (wait !== undefined) ctx.timers.startSingle(`subscribe/${room}`, { type: 'subscribe-room', room, attempt: first + 1 }, wait)
          else ctx.self.tell({ type: 'subscribed', room, error: describe(err) })
          return
        }
        // the room is changing owner: try again shortly (the new owner has no subscribers yet)
        const wait = isSuperseded(err) || kindOf(err) === 'unavailable' ? RESUBSCRIBE_RETRY_MS[renewal] : undefined
        if (wait !== undefined) ctx.timers.startSingle(`resubscribe/${room}`, { type: 'resubscribe-room', room, attempt: renewal + 1 }, wait)
        else ctx.log.warn({ room }, `renewing the subscription to room ${room} failed: ${describe(err)}`)
      })
}

function withRoom (rooms: GatewayState, room: string, entry: RoomEntry): GatewayState {
  return new Map(rooms).set(room, entry)
}

function withoutRoom (rooms: GatewayState, room: string): GatewayState {
  const next = new Map(rooms)
  next.delete(room)
  return next
}
