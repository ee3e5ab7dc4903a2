import { RateLimitedError } from '../../protocols/index.ts'
import { clientKey } from './client-address.ts'
import { MAX_CLIENTS } from './constants.ts'
import { AuthThrottledError, TooManyStreamsError } from './errors.ts'
import { RateLimiter } from './rate-limiter.ts'

/** Where a request came in: the gRPC server, the admin endpoint's /api/v1 (and its dashboard and
 * OpenAPI files), its /metrics, the OpenAI-compatible endpoint, or the user listener (gRPC-Web and
 * the chat page, node/web). */
export const CLIENT_ENDPOINTS = ['grpc', 'admin', 'metrics', 'openai', 'web'] as const
export type ClientEndpoint = typeof CLIENT_ENDPOINTS[number]

/** Why a request was refused: over its address's request rate, from an address with too many
 * failed authentications, one stream too many from its address, or over its user's request rate. */
export const REFUSAL_REASONS = ['rate', 'auth-failures', 'streams', 'user-rate'] as const
export type RefusalReason = typeof REFUSAL_REASONS[number]


export interface ClientLimitsOptions {
  /** Requests a second one client address may make, sustained (config `ip-rate`); 0: no limit. */
  readonly rate: number
  /** Requests one client address may make at once (config `ip-burst`). */
  readonly burst: number
  /** Failed authentications one client address may make before its attempts are refused
   * (config `auth-failures-per-min`); 0: never refused. */
  readonly authFailures: number
  /** Failed authentications refilled a second. @default authFailures / 60 */
  readonly authFailuresPerSecond?: number
  /** Streams one client address may hold open at once, every endpoint together (config
   * `streams-per-ip`); 0: no limit. */
  readonly streams: number
  /** Requests a second one authenticated user (a chat user, an admin token) may make, sustained,
   * from wherever they come (config `user-rate`); 0 or absent: no limit. */
  readonly userRate?: number
  /** Requests one user may make at once (config `user-burst`). @default 2 × userRate, at least 1 */
  readonly userBurst?: number
  /** @default 100_000 */
  readonly maxClients?: number
  /** Milliseconds for the buckets (tests pass their own clock). @default performance.now */
  readonly now?: () => number
}

/** What the node's metrics read (at scrape time). */
export interface ClientLimitsStats {
  readonly refused: Record<ClientEndpoint, Record<RefusalReason, number>>
  readonly failedAuthentications: Record<ClientEndpoint, number>
  streamsOpen: number
}

/**
 * The node's limits per client address, shared by all its endpoints: a request rate (a token
 * bucket per address), failed-authentication throttling (after `authFailures` failures an address's
 * attempts are refused before their token is checked, the right one too, so guessing gains
 * nothing), and a cap on the streams an address holds open. An IPv6 client is its /64
 * (clientKey). Memory stays bounded: buckets of at most `maxClients` addresses, and a stream count
 * only for addresses holding streams.
 */
export class ClientLimits {
  readonly stats: ClientLimitsStats
  readonly rate: number
  readonly burst: number
  readonly authFailures: number
  readonly streams: number
  readonly userRate: number
  readonly userBurst: number
  readonly #requests: RateLimiter | undefined
  readonly #failures: RateLimiter | undefined
  readonly #users: RateLimiter | undefined
  readonly #open = new Map<string, number>()
  readonly #now: () => number

  constructor (opts: ClientLimitsOptions) {
    const { rate, burst, authFailures, streams } = opts
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a number >= 0 (0: no limit), got ${rate}`)
    if (!Number.isSafeInteger(burst) || burst < 1) throw new RangeError(`burst must be an integer >= 1, got ${burst}`)
    if (!Number.isSafeInteger(authFailures) || authFailures < 0) throw new RangeError(`authFailures must be an integer >= 0 (0: not throttled), got ${authFailures}`)
    if (!Number.isSafeInteger(streams) || streams < 0) throw new RangeError(`streams must be an integer >= 0 (0: no limit), got ${streams}`)
    const refill = opts.authFailuresPerSecond ?? authFailures / 60
    if (authFailures > 0 && !(refill > 0)) throw new RangeError(`authFailuresPerSecond must be > 0, got ${refill}`)
    const userRate = opts.userRate ?? 0
    const userBurst = opts.userBurst ?? Math.max(1, Math.ceil(userRate * 2))
    if (!(userRate >= 0) || !Number.isFinite(userRate)) throw new RangeError(`userRate must be a number >= 0 (0: no limit), got ${userRate}`)
    if (!Number.isSafeInteger(userBurst) || userBurst < 1) throw new RangeError(`userBurst must be an integer >= 1, got ${userBurst}`)
    const maxKeys = opts.maxClients ?? MAX_CLIENTS
    this.rate = rate
    this.burst = burst
    this.authFailures = authFailures
    this.streams = streams
    this.#requests = rate > 0 ? new RateLimiter({ rate, burst, maxKeys }) : undefined
    this.#failures = authFailures > 0 ? new RateLimiter({ rate: refill, burst: authFailures, maxKeys }) : undefined
    this.userRate = userRate
    this.userBurst = userBurst
    this.#users = userRate > 0 ? new RateLimiter({ rate: userRate, burst: userBurst, maxKeys }) : undefined
    this.#now = opts.now ?? (() => performance.now())
    const zeros = <T>(make: () => T): Record<ClientEndpoint, T> => Object.fromEntries(CLIENT_ENDPOINTS.map((e) => [e, make()])) as Record<ClientEndpoint, T>
    this.stats = {
      refused: zeros(() => Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>),
      failedAuthentications: zeros(() => 0),
      streamsOpen: 0
    }
  }

  /** One request from `address` (clientAddress): throws RateLimitedError when it is over its rate. */
  request (endpoint: ClientEndpoint, address: string): void {
    const allowed = this.#requests?.take(clientKey(address), this.#now())
    if (allowed === undefined || allowed.ok) return
    this.stats.refused[endpoint].rate++
    throw new RateLimitedError(`rate limit: at most ${this.rate} requests per second from one address (bursts of ${this.burst}), and ${address} is over it; retry in ${allowed.retryAfterMs} ms`, allowed.retryAfterMs)
  }

  /** One request of an authenticated `user` (a chat user's name; `admin` or `token:NAME` on the
   * admin endpoint), wherever it came from: throws RateLimitedError when that user is over its
   * rate. A user spreading requests over many addresses gets one budget, not one per address. */
  userRequest (endpoint: ClientEndpoint, user: string): void {
    const allowed = this.#users?.take(user, this.#now())
    if (allowed === undefined || allowed.ok) return
    this.stats.refused[endpoint]['user-rate']++
    throw new RateLimitedError(`rate limit: at most ${this.userRate} requests per second per user (bursts of ${this.userBurst}), and ${user.length > 64 ? `${user.slice(0, 64)}…` : user} is over it; retry in ${allowed.retryAfterMs} ms`, allowed.retryAfterMs)
  }

  /** Before a token from `address` is checked: throws AuthThrottledError when that address has
   * failed too often. Costs nothing: only failures count. */
  checkAuthentication (endpoint: ClientEndpoint, address: string): void {
    const allowed = this.#failures?.check(clientKey(address), this.#now())
    if (allowed === undefined || allowed.ok) return
    this.stats.refused[endpoint]['auth-failures']++
    const seconds = Math.max(1, Math.ceil(allowed.retryAfterMs / 1000))
    throw new AuthThrottledError(`too many failed authentications from ${address}; retry in ${seconds} s`, allowed.retryAfterMs)
  }

  /** A token from `address` was wrong (a request with no token is no attempt, and not counted). */
  failedAuthentication (endpoint: ClientEndpoint, address: string): void {
    this.stats.failedAuthentications[endpoint]++
    this.#failures?.charge(clientKey(address), this.#now())
  }

  /** A stream from `address` opens: the function that closes it (call it however the stream ends;
   * a second call does nothing), or TooManyStreamsError when the address holds its share. */
  openStream (endpoint: ClientEndpoint, address: string): () => void {
    const key = clientKey(address)
    const open = this.#open.get(key) ?? 0
    if (this.streams > 0 && open >= this.streams) {
      this.stats.refused[endpoint].streams++
      throw new TooManyStreamsError(`at most ${this.streams} streams may be open at once from one address on this node, and ${address} has ${open}; close one first`)
    }
    this.#open.set(key, open + 1)
    this.stats.streamsOpen++
    let closed = false
    return () => {
      if (closed) return
      closed = true
      this.stats.streamsOpen--
      const left = (this.#open.get(key) ?? 1) - 1
      if (left > 0) this.#open.set(key, left)
      else this.#open.delete(key)
    }
  }

  /** Streams `address` holds open now. */
  streamsOf (address: string): number {
    return this.#open.get(clientKey(address)) ?? 0
  }
}
