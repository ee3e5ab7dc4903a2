import { gzip } from 'node:zlib'
import { METRICS_FLOOD_SCRAPES, METRICS_REUSE_MS } from './constants.ts'

export interface RenderedMetricsOptions {
  /** Collects and renders the text (the registry's `metrics()`). */
  readonly render: () => Promise<string>
  /** Milliseconds (tests pass their own clock). @default performance.now */
  readonly now?: () => number
}

/**
 * The text of /metrics, rendered for each scrape, but while the endpoint is scraped in a flood
 * (METRICS_FLOOD_SCRAPES within a second), one rendering answers every scrape of the next
 * METRICS_REUSE_MS: rendering collects every series (actors walked, partitions looked at, the
 * process's file descriptors listed) and formats them, and a flood of scrapes would spend the
 * node's CPU on that alone (800 scrapes a second took a whole core). Ordinary scraping, and a
 * scrape after something changed, always gets a fresh rendering; under a flood a scrape reads a
 * rendering at most METRICS_REUSE_MS old. A rendering that failed is never reused.
 */
export class RenderedMetrics {
  readonly #render: () => Promise<string>
  readonly #now: () => number
  /** When the last METRICS_FLOOD_SCRAPES scrapes came, a ring (#next: the oldest). */
  readonly #recent: number[] = []
  #next = 0
  #last: Rendering | undefined

  constructor (opts: RenderedMetricsOptions) {
    this.#render = opts.render
    this.#now = opts.now ?? (() => performance.now())
  }

  async text (): Promise<string> {
    return await this.#rendering().text
  }

  /** The rendering as the bytes to send, gzipped when `gzip` (the client accepts it, as Prometheus
   * does): encoded once per rendering, not per scrape (a rendering is tens of KB: encoding it
   * again for each scrape of a flood was a third of the node's time). */
  async body (gzip: boolean): Promise<Buffer> {
    const rendering = this.#rendering()
    if (!gzip) return await (rendering.bytes ??= rendering.text.then((t) => Buffer.from(t)))
    return await (rendering.gzipped ??= (rendering.bytes ??= rendering.text.then((t) => Buffer.from(t))).then(gzipped))
  }

  #rendering (): Rendering {
    const now = this.#now()
    const oldest = this.#recent[this.#next]
    this.#recent[this.#next] = now
    this.#next = (this.#next + 1) % METRICS_FLOOD_SCRAPES
    const flood = oldest !== undefined && now - oldest < 1_000
    const last = this.#last
    if (flood && last !== undefined && now - last.at < METRICS_REUSE_MS) return last
    const rendering: Rendering = { at: now, text: this.#render(), bytes: undefined, gzipped: undefined }
    this.#last = rendering
    rendering.text.catch(() => { if (this.#last === rendering) this.#last = undefined })
    return rendering
  }
}

interface Rendering {
  readonly at: number
  readonly text: Promise<string>
  bytes: Promise<Buffer> | undefined
  gzipped: Promise<Buffer> | undefined
}

async function gzipped (bytes: Buffer): Promise<Buffer> {
  return await new Promise((resolve, reject) => { gzip(bytes, { level: 1 }, (err, out) => { if (err === null) resolve(out); else reject(err) }) })
}
