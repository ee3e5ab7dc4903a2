import { RateLimitedError } from '../../protocols/index.ts'

interface Bucket {
  requests: number
  tokens: number
  at: number
}

/**
 * Per-user inference limits: requests per minute and generated tokens per minute, as two token
 * buckets that refill continuously (a full minute's worth at most). A request is admitted while
 * the user has a request left and is not in token debt; its tokens are charged when it ends, so
 * one long answer may overdraw the budget and the next request waits until it has refilled.
 * Buckets of users not seen for a while are dropped (a full bucket and a missing one are the same).
 */
export class UsageLimiter {
  readonly requestsPerMin: number
  readonly tokensPerMin: number
  readonly #maxUsers: number
  readonly #buckets = new Map<string, Bucket>()

  constructor ({ requestsPerMin, tokensPerMin, maxUsers = 100_000 }: { requestsPerMin: number, tokensPerMin: number, maxUsers?: number }) {
    if (!(requestsPerMin > 0) || !(tokensPerMin > 0)) throw new RangeError(`limits must be > 0, got ${requestsPerMin} requests and ${tokensPerMin} tokens per minute`)
    this.requestsPerMin = requestsPerMin
    this.tokensPerMin = tokensPerMin
    this.#maxUsers = maxUsers
  }

  /** Takes one request for `user`, or throws RateLimitedError saying when to retry. */
  admit (user: string, now = performance.now()): void {
    const b = this.#refilled(user, now)
    if (b.tokens <= 0) {
      const ms = Math.ceil(((1 - b.tokens) / this.tokensPerMin) * 60_000)
      throw new RateLimitedError(`token limit: at most ${this.tokensPerMin} generated tokens per minute; retry in ${Math.ceil(ms / 1000)} s`, ms)
    }
    if (b.requests < 1) {
      const ms = Math.ceil(((1 - b.requests) / this.requestsPerMin) * 60_000)
      throw new RateLimitedError(`request limit: at most ${this.requestsPerMin} inference requests per minute; retry in ${Math.ceil(ms / 1000)} s`, ms)
    }
    b.requests -= 1
  }

  /** Charges the tokens a request generated. */
  charge (user: string, tokens: number, now = performance.now()): void {
    this.#refilled(user, now).tokens -= tokens
  }

  #refilled (user: string, now: number): Bucket {
    let b = this.#buckets.get(user)
    if (b === undefined) {
      b = { requests: this.requestsPerMin, tokens: this.tokensPerMin, at: now }
    } else {
      const minutes = (now - b.at) / 60_000
      b.requests = Math.min(this.requestsPerMin, b.requests + minutes * this.requestsPerMin)
      b.tokens = Math.min(this.tokensPerMin, b.tokens + minutes * this.tokensPerMin)
      b.at = now
      this.#buckets.delete(user)   // re-inserted: the map's order is least recently used first
    }
    this.#buckets.set(user, b)
    if (this.#buckets.size > this.#maxUsers) {
      const oldest = this.#buckets.keys().next()
      if (oldest.done !== true) this.#buckets.delete(oldest.value)
    }
    return b
  }
}
