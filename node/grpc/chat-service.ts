import { randomUUID } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOM, ROOMS, ROOM_DIRECTORY_KEY, isSuperseded } from '../../actors/index.ts'
import type { ActorRef, ActorSystem, ChatMessage, Logger, PostAck, ReplyTo, RoomInfo, RoomMsg, RoomSummary } from '../../actors/index.ts'
import { CLIENT_ID_RULE, InvalidRequestError, MAX_HISTORY_LIMIT, ROOM_NAME_RULE, RateLimitedError, clip, isClientId, isRoomName } from '../../protocols/index.ts'
import { authenticateCall } from './call-auth.ts'
import { SeqOutOfRangeError, StreamLimitError } from './errors.ts'
import { failureOf, unaryCall } from './grpc-status.ts'
import { RoomStream } from './room-stream.ts'
import { wireMessage } from './chat-wire.ts'
import type { SubscribeEncoder } from './chat-wire.ts'
import type { GatewayMsg } from './chat-gateway.ts'
import type { RateLimiter } from '../limits/index.ts'

/** History returned when a request asks for 0. */
const DEFAULT_HISTORY_LIMIT = 100
/** The waits before each resend of a room's message that a superseded owner failed (see askRoom):
 * its new owner is usually running within tens of ms, but a failover waits out the old owner's
 * lease (config lease-ms) and a node whose activation was just superseded holds back for
 * SUPERSEDED_HOLD_MS (actors/kernel): the last resend is about 4 s after the first failure. */
const SUPERSEDED_RESEND_MS = [10, 40, 100, 200, 400, 800, 1_000, 1_500] as const
/** Subscribe streams one user may hold open on one node (each costs buffers and a gateway slot). */
export const MAX_STREAMS_PER_USER = 64

export interface ChatServiceDeps {
  readonly system: ActorSystem
  readonly users: { authenticate (token: string): Promise<string | undefined> }
  readonly gateway: ActorRef<GatewayMsg>
  readonly limiter: RateLimiter
  readonly maxMessageBytes: number
  /** config `stream-buffer` */
  readonly streamBuffer: number
  readonly retryTypes: protobuf.Root
  /** Shares one encoding of each pushed message among all streams (see SubscribeEncoder.install). */
  readonly encoder: SubscribeEncoder
  readonly log: Logger
  /** False while the node is starting or shutting down: new calls get UNAVAILABLE. */
  readonly accepting: () => boolean
  /** Counts every authenticated call against its user's request rate (config `user-rate`). */
  readonly limitUser?: (user: string) => void
  readonly onPosted?: () => void
  readonly streams?: { opened (): void, closed (): void, delivered? (): void }
}

interface PostRequest { room: string, text: string, clientId?: string }
interface SubscribeRequest { room: string, after: number }
interface HistoryRequest { room: string, after: number, limit: number }
interface RoomRequest { room: string }

/**
 * The `plexi.chat.v1.Chat` handlers. Every call authenticates first (UNAUTHENTICATED and nothing
 * else runs otherwise), then validates its request (INVALID_ARGUMENT naming the field), then
 * talks to the room entity.
 */
export function chatServiceHandlers (deps: ChatServiceDeps): grpc.UntypedServiceImplementation {
  const { system } = deps
  const room = (name: string) => system.entity<RoomMsg>(ROOM, name)

  /**
   * Asks room `name`, and asks again when the owner that was to answer lost the room to a newer one
   * first (isSuperseded: a move that timed out into a failover, a failover racing a move): the
   * message did not take effect there, or not for sure, and the newer owner takes it. Every room
   * message may be sent twice: a post carries the client's id or the gateway's ref, which the room
   * dedupes on (a second delivery gets the first one's ack), and the others read or set.
   */
  async function askRoom<T> (name: string, make: (replyTo: ReplyTo<T>) => RoomMsg): Promise<T> {
    for (let resend = 0; ; resend++) {
      try {
        return await room(name).ask<T>(make as (replyTo: ReplyTo<T>) => RoomMsg)
      } catch (err) {
        const wait = SUPERSEDED_RESEND_MS[resend]
        if (wait === undefined || !isSuperseded(err)) throw err
        await sleep(wait)
      }
    }
  }
  const openStreams = new Map<string, number>()
  const failure = failureOf('chat', deps)

  /** Posts, joins and leaves write events: they share the user's token bucket. */
  function limitWrites (user: string): void {
    const allowed = deps.limiter.take(user)
    if (allowed.ok) return
    throw new RateLimitedError(`rate limit: at most ${deps.limiter.rate} posts per second (bursts of ${deps.limiter.burst}); retry in ${allowed.retryAfterMs} ms`, allowed.retryAfterMs)
  }

  const authenticate = async (call: { metadata: grpc.Metadata }): Promise<string> => await authenticateCall(call, deps)

  /** Every call authenticates before anything else runs. */
  function unary<Req, Res> (name: string, body: (req: Req, user: string) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return unaryCall<Req, Res>(name, async (call) => await body(call.request, await authenticate(call)), failure)
  }

  return {
    Post: unary<PostRequest, PostAck>('Post', async (req, user) => {
      const roomName = checkRoom(req.room)
      if (typeof req.text !== 'string' || req.text.length === 0) throw new InvalidRequestError('text: must not be empty')
      const bytes = Buffer.byteLength(req.text, 'utf8')
      if (bytes > deps.maxMessageBytes) throw new InvalidRequestError(`text: ${bytes} bytes is over the limit of ${deps.maxMessageBytes} bytes`)
      const clientId = checkClientId(req.clientId)
      limitWrites(user)
      // a post without the client's id gets one of ours (never shown): one the mesh delivers twice
      // (sent again after a hand-over whose outcome was unknown) is stored once all the same
      const id = clientId !== undefined ? { clientId } : { ref: randomUUID() }
      const ack = await askRoom<PostAck>(roomName, (replyTo) => ({ type: 'post', user, text: req.text, ...id, replyTo }))
      deps.onPosted?.()
      return ack
    }),

    History: unary<HistoryRequest, { messages: unknown[] }>('History', async (req) => {
      const roomName = checkRoom(req.room)
      const after = checkSeq(req.after, 'after')
      const limit = req.limit === 0 ? DEFAULT_HISTORY_LIMIT : req.limit
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) throw new InvalidRequestError(`limit: must be 1 to ${MAX_HISTORY_LIMIT} (0 means ${DEFAULT_HISTORY_LIMIT})`)
      const messages = await askRoom<ChatMessage[]>(roomName, (replyTo) => ({ type: 'history', after, limit, replyTo }))
      return { messages: messages.map(wireMessage) }
    }),

    ListRooms: unary<unknown, { rooms: RoomSummary[] }>('ListRooms', async () => {
      const rooms = await system.entity(ROOMS, ROOM_DIRECTORY_KEY).ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))
      return { rooms }
    }),

    Join: unary<RoomRequest, RoomInfo>('Join', async (req, user) => {
      const name = checkRoom(req.room)
      limitWrites(user)
      return await askRoom<RoomInfo>(name, (replyTo) => ({ type: 'join', user, replyTo }))
    }),

    Leave: unary<RoomRequest, RoomInfo>('Leave', async (req, user) => {
      const name = checkRoom(req.room)
      limitWrites(user)
      return await askRoom<RoomInfo>(name, (replyTo) => ({ type: 'leave', user, replyTo }))
    }),

    Members: unary<RoomRequest, { members: readonly string[] }>('Members', async (req) => {
      const info = await askRoom<RoomInfo>(checkRoom(req.room), (replyTo) => ({ type: 'info', replyTo }))
      return { members: info.members }
    }),

    Subscribe: (call: grpc.ServerWritableStream<SubscribeRequest, unknown>) => {
      void subscribe(call)
    }
  }

  async function subscribe (call: grpc.ServerWritableStream<SubscribeRequest, unknown>): Promise<void> {
    let roomName: string
    let after: number
    let user: string
    try {
      user = await authenticate(call as grpc.ServerWritableStream<unknown, unknown>)
      roomName = checkRoom(call.request.room)
      after = checkSeq(call.request.after, 'after')
      const open = openStreams.get(user) ?? 0
      if (open >= MAX_STREAMS_PER_USER) {
        throw new StreamLimitError(`at most ${MAX_STREAMS_PER_USER} open Subscribe streams per user on one node; close one first`)
      }
      // a client can only have seen durable seqs: one ahead of the room has a wrong idea of it
      // (another room's seq, a restored backup) and would wait forever for seqs already used
      const info = await askRoom<RoomInfo>(roomName, (replyTo) => ({ type: 'info', replyTo }))
      if (after > info.lastSeq) {
        throw new SeqOutOfRangeError(`after: ${after} is beyond the last seq of room ${roomName} (${info.lastSeq}); subscribe with after <= ${info.lastSeq}`)
      }
    } catch (err) {
      call.emit('error', failure('Subscribe', err))
      return
    }
    openStreams.set(user, (openStreams.get(user) ?? 0) + 1)
    deps.streams?.opened()
    let attached = false
    const stream: RoomStream = new RoomStream(call as never, {
      room: roomName,
      after,
      // called once per message sent on this stream
      toEvent: (message) => {
        deps.streams?.delivered?.()
        return deps.encoder.event(message)
      },
      maxBuffered: deps.streamBuffer,
      history: async (from, limit) => await askRoom<ChatMessage[]>(roomName, (replyTo) => ({ type: 'history', after: from, limit, replyTo })),
      onEnd: () => {
        const left = (openStreams.get(user) ?? 1) - 1
        if (left > 0) openStreams.set(user, left)
        else openStreams.delete(user)
        deps.streams?.closed()
        if (attached) deps.gateway.tell({ type: 'detach', room: roomName, sink: stream })
      }
    })
    try {
      await deps.gateway.ask<void>((replyTo) => ({ type: 'attach', room: roomName, sink: stream, replyTo }))
      attached = true
      if (stream.ended) {
        deps.gateway.tell({ type: 'detach', room: roomName, sink: stream })
        return
      }
      await stream.start()
    } catch (err) {
      const status = failure('Subscribe', err)
      stream.fail(status.code, status.details)
    }
  }
}

function checkRoom (value: unknown): string {
  if (!isRoomName(value)) throw new InvalidRequestError(`room: ${clip(JSON.stringify(value) ?? String(value), 80)} is not a room name (${ROOM_NAME_RULE})`)
  return value
}

/** proto3 sends an unset client_id as "": no id. */
function checkClientId (value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined
  if (!isClientId(value)) throw new InvalidRequestError(`client_id: ${clip(JSON.stringify(value) ?? String(value), 80)} is not a client id (${CLIENT_ID_RULE})`)
  return value
}

function checkSeq (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new InvalidRequestError(`${field}: must be a seq >= 0`)
  return value
}
