/** How many recent samples a LagWindow keeps: enough for a p99 that moves with the last minute of
 * batches at the feed's rate (a batch every FEED_FLUSH_MS at most). */
export const LAG_SAMPLES = 2_048

/** The last LAG_SAMPLES indexing lags (ms), for percentiles (metrics, the bench), and their count
 * and maximum since start. */
export class LagWindow {
  readonly #samples: number[] = []
  #next = 0
  count = 0
  max = 0
  last = 0

  add (ms: number): void {
    if (this.#samples.length < LAG_SAMPLES) this.#samples.push(ms)
    else this.#samples[this.#next] = ms
    this.#next = (this.#next + 1) % LAG_SAMPLES
    this.count++
    this.last = ms
    if (ms > this.max) this.max = ms
  }

  /** The q-quantile (0..1) of the samples kept (0 with none). */
  quantile (q: number): number {
    if (this.#samples.length === 0) return 0
    const sorted = [...this.#samples].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  }
}
