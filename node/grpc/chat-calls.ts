import type * as grpc from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOM, isSuperseded } from '../../actors/index.ts'
import type { ActorRef, ActorSystem, Logger, ReplyTo, RoomMsg } from '../../actors/index.ts'
import { RateLimitedError } from '../../protocols/index.ts'
import type { RateLimiter } from '../limits/index.ts'
import { authenticateCall } from './call-auth.ts'
import type { GatewayMsg } from './chat-gateway.ts'
import type { ChatSearch } from './chat-search.ts'
import type { SubscribeEncoder } from './chat-wire.ts'
import { MAX_STREAMS_PER_USER, SUPERSEDED_RESEND_MS } from './constants.ts'
import { StreamLimitError } from './errors.ts'
import { failureOf, unaryCall } from './grpc-status.ts'
import type { StatusError } from './grpc-status.ts'
import type { Exporter } from '../transfer/index.ts'

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
  /** Search (node/search); absent: Search answers INVALID_ARGUMENT. */
  readonly search?: ChatSearch
  /** Exports (node/transfer): absent, one that asks rooms' owners for every page. */
  readonly exporter?: Exporter | undefined
  readonly streams?: { opened (): void, closed (): void, delivered? (): void }
  /** The members up and where clients reach them, this node first (node/mesh clientAddresses):
   * the Nodes call. Absent: this node alone, as its own record would say. */
  readonly nodes?: () => ReadonlyArray<{ readonly web: string, readonly grpc: string, readonly self: boolean }>
}

/**
 * What every call of the `plexi.chat.v1.Chat` service shares: authentication, the answer of a
 * failure, asks to rooms that survive a change of owner, the user's write budget, and the count of
 * each user's open Subscribe streams on this node.
 */
export class ChatCalls {
  readonly deps: ChatServiceDeps
  /** A thrown value as the call's status (internal failures logged). */
  readonly failure: (call: string, err: unknown) => StatusError
  readonly #openStreams = new Map<string, number>()

  constructor (deps: ChatServiceDeps) {
    this.deps = deps
    this.failure = failureOf('chat', deps)
  }

  /** The caller; every call authenticates before anything else runs. */
  async authenticate (call: { metadata: grpc.Metadata }): Promise<string> {
    return await authenticateCall(call, this.deps)
  }

  /** A unary handler: authenticated first, then `body` with the request and the caller. */
  unary<Req, Res> (name: string, body: (req: Req, user: string) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return unaryCall<Req, Res>(name, async (call) => await body(call.request, await this.authenticate(call)), this.failure)
  }

  /**
   * Asks room `name`, and asks again when the owner that was to answer lost the room to a newer one
   * first (isSuperseded: a move that timed out into a failover, a failover racing a move): the
   * message did not take effect there, or not for sure, and the newer owner takes it. Every room
   * message may be sent twice: a post carries the client's id or the gateway's ref, which the room
   * dedupes on (a second delivery gets the first one's ack), and the others read or set.
   */
  async askRoom<T> (name: string, make: (replyTo: ReplyTo<T>) => RoomMsg): Promise<T> {
    for (let resend = 0; ; resend++) {
      try {
        return await this.deps.system.entity<RoomMsg>(ROOM, name).ask<T>(make as (replyTo: ReplyTo<T>) => RoomMsg)
      } catch (err) {
        const wait = SUPERSEDED_RESEND_MS[resend]
        if (wait === undefined || !isSuperseded(err)) throw err
        await sleep(wait)
      }
    }
  }

  /** Posts, joins and leaves write events: they share the user's token bucket. */
  limitWrites (user: string): void {
    const { limiter } = this.deps
    const allowed = limiter.take(user)
    if (allowed.ok) return
    throw new RateLimitedError(`rate limit: at most ${limiter.rate} posts per second (bursts of ${limiter.burst}); retry in ${allowed.retryAfterMs} ms`, allowed.retryAfterMs)
  }

  /** Refuses a stream beyond MAX_STREAMS_PER_USER open ones of `user`. */
  checkStreamSlot (user: string): void {
    if ((this.#openStreams.get(user) ?? 0) >= MAX_STREAMS_PER_USER) {
      throw new StreamLimitError(`at most ${MAX_STREAMS_PER_USER} open Subscribe streams per user on one node; close one first`)
    }
  }

  /** A stream of `user` opened. */
  streamOpened (user: string): void {
    this.#openStreams.set(user, (this.#openStreams.get(user) ?? 0) + 1)
    this.deps.streams?.opened()
  }

  /** A stream of `user` ended. */
  streamClosed (user: string): void {
    const left = (this.#openStreams.get(user) ?? 1) - 1
    if (left > 0) this.#openStreams.set(user, left)
    else this.#openStreams.delete(user)
    this.deps.streams?.closed()
  }
}
