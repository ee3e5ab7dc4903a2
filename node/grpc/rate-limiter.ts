/**
 * Token buckets by key (a user): `rate` tokens per second refill a bucket of `burst`. Buckets of
 * keys not seen for a while are dropped (a full bucket and a missing one behave the same), so the
 * map stays bounded however many users there are.
 */
export class RateLimiter {
  readonly rate: number
  readonly burst: number
  readonly #maxKeys: number
  readonly #buckets = new Map<string, { tokens: number, at: number }>()

  constructor ({ rate, burst, maxKeys = 100_000 }: { rate: number, burst: number, maxKeys?: number }) {
    if (!(rate > 0) || !(burst >= 1)) throw new RangeError(`rate limiter needs rate > 0 and burst >= 1, got ${rate} and ${burst}`)
    this.rate = rate
    this.burst = burst
    this.#maxKeys = maxKeys
  }

  /** Takes one token for `key`: true, or how long until one is there. */
  take (key: string, now = performance.now()): { ok: true } | { ok: false, retryAfterMs: number } {
    const bucket = this.#buckets.get(key)
    let tokens = this.burst
    if (bucket !== undefined) {
      tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate)
      this.#buckets.delete(key)   // re-inserted below: the map's order is least recently used first
    }
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now })
      return { ok: false, retryAfterMs: Math.ceil(((1 - tokens) / this.rate) * 1000) }
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now })
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next()
      if (oldest.done !== true) this.#buckets.delete(oldest.value)
    }
    return { ok: true }
  }
}
