/** What a bucket answers: go ahead, or how long until a token is there. */
export type Allowance = { ok: true } | { ok: false, retryAfterMs: number }

/**
 * Token buckets by key (a user, a client's IP address): `rate` tokens per second refill a bucket of
 * `burst`. Buckets of keys not seen for a while are dropped (a full bucket and a missing one behave
 * the same), so the map stays bounded however many keys there are.
 */
export class RateLimiter {
  readonly rate: number
  readonly burst: number
  readonly #maxKeys: number
  readonly #buckets = new Map<string, { tokens: number, at: number }>()

  constructor ({ rate, burst, maxKeys = 100_000 }: { rate: number, burst: number, maxKeys?: number }) {
    if (!(rate > 0) || !(burst >= 1)) throw new RangeError(`rate limiter needs rate > 0 and burst >= 1, got ${rate} and ${burst}`)
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new RangeError(`rate limiter needs maxKeys >= 1, got ${maxKeys}`)
    this.rate = rate
    this.burst = burst
    this.#maxKeys = maxKeys
  }

  /** Buckets kept now (at most maxKeys). */
  get size (): number {
    return this.#buckets.size
  }

  /** Takes one token for `key`: true, or how long until one is there. */
  take (key: string, now = performance.now()): Allowance {
    const tokens = this.#tokens(key, now)
    this.#buckets.delete(key)   // re-inserted below: the map's order is least recently used first
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now })
      return this.#wait(tokens)
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now })
    this.#trim()
    return { ok: true }
  }

  /** Whether `key` has a token now, without taking it (a failed authentication takes one later:
   * checking must not cost the caller who then succeeds). */
  check (key: string, now = performance.now()): Allowance {
    const tokens = this.#tokens(key, now)
    return tokens < 1 ? this.#wait(tokens) : { ok: true }
  }

  /** Takes one token for `key` after the fact, into debt when there is none (down to -burst):
   * requests that all passed `check` before any of them was charged (checks of tokens are async)
   * still cost one token each, so running them in parallel buys nothing. */
  charge (key: string, now = performance.now()): void {
    const tokens = this.#tokens(key, now)
    this.#buckets.delete(key)
    this.#buckets.set(key, { tokens: Math.max(-this.burst, tokens - 1), at: now })
    this.#trim()
  }

  /** Forgets the least recently used bucket once there are more than maxKeys. */
  #trim (): void {
    if (this.#buckets.size <= this.#maxKeys) return
    const oldest = this.#buckets.keys().next()
    if (oldest.done !== true) this.#buckets.delete(oldest.value)
  }

  #tokens (key: string, now: number): number {
    const bucket = this.#buckets.get(key)
    // a clock that went back (another `now` source) refills nothing rather than taking
    return bucket === undefined ? this.burst : Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.rate)
  }

  #wait (tokens: number): Allowance {
    return { ok: false, retryAfterMs: Math.ceil(((1 - tokens) / this.rate) * 1000) }
  }
}
