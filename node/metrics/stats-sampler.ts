import type { Counter, Histogram } from 'prom-client'
import { PeriodicService, ServiceFailures } from '../services/index.ts'
import type { ServiceLog } from '../services/index.ts'
import { STATS_CAPACITY, STATS_INTERVAL_MS } from './constants.ts'

/** A member's load as its record says (gossiped: every member's, as this node last heard it). */
export interface MemberLoad {
  readonly peerId: string
  readonly status: string
  readonly rssBytes: number
  readonly actors: number
  readonly entities: number
  readonly mailbox: number
}

/** One sample of the node's rates over the interval that ends at `ts`, and its memory then. */
export interface StatsSample {
  /** ms since the epoch */
  readonly ts: number
  readonly postsPerSec: number
  readonly deliveriesPerSec: number
  readonly asksPerSec: number
  /** Mean ask latency over the interval (null: no ask ended in it). */
  readonly askMeanMs: number | null
  /** 99th percentile of ask latency over the interval, as the histogram's bucket bound it falls
   * in (null: no ask ended in it). */
  readonly askP99Ms: number | null
  readonly tokensPerSec: number
  readonly rssBytes: number
  readonly heapUsedBytes: number
  readonly actors: number
  readonly entities: number
  readonly members: readonly MemberLoad[]
}

/** What the sampler reads: the node's counters (node/metrics NodeMetrics). */
export interface StatsSources {
  readonly chatMessages: Counter
  readonly chatDeliveries: Counter
  readonly askDuration: Histogram<'outcome'>
  readonly inferenceTokens: Counter<'model'>
  /** This node and every member it knows (this node first), with their loads. */
  readonly members: () => readonly MemberLoad[]
  /** @default process.memoryUsage */
  readonly memory?: () => { rss: number, heapUsed: number }
  /** @default Date.now */
  readonly now?: () => number
}

export interface StatsSamplerOptions {
  /** @default STATS_INTERVAL_MS */
  readonly intervalMs?: number
  /** Samples kept for a new reader (5 minutes at the default interval). @default STATS_CAPACITY */
  readonly capacity?: number
  /** Where a failed sample is counted (`plexi_service_failures_total{service="stats"}`): the
   * node's one ServiceFailures. @default a ServiceFailures of its own */
  readonly failures?: ServiceFailures
  /** Where a failed sample is logged (once per streak of failures). @default none */
  readonly log?: ServiceLog
}

/** A sampler given no log: its failures are still counted. */
const NO_LOG: ServiceLog = { info: () => undefined, warn: () => undefined, debug: () => undefined }

/** Counter readings at one instant. */
interface Reading {
  readonly at: number
  readonly posts: number
  readonly deliveries: number
  readonly tokens: number
  readonly askCount: number
  readonly askSum: number
  /** Cumulative ask counts by bucket bound (seconds), ascending. */
  readonly askBuckets: ReadonlyArray<readonly [number, number]>
}

/**
 * The node's rates sampled every interval, for the dashboard's live charts and `plexi admin top`
 * (`GET /api/v1/stats`, `/stats/stream`): posts and deliveries per second, asks per second with
 * their mean and p99 latency, tokens generated per second, and memory (this node's, and every
 * member's as gossiped). It reads the Prometheus counters the node keeps anyway, so sampling costs
 * one read of each per interval. The last `capacity` samples are kept, so a chart opens with
 * history.
 */
export class StatsSampler {
  readonly intervalMs: number
  readonly #sources: StatsSources
  readonly #capacity: number
  readonly #samples: StatsSample[] = []
  readonly #readers = new Set<(sample: StatsSample) => void>()
  readonly #service: PeriodicService
  #last: Reading | undefined
  #sampling = false

  constructor (sources: StatsSources, opts: StatsSamplerOptions = {}) {
    this.#sources = sources
    this.intervalMs = opts.intervalMs ?? STATS_INTERVAL_MS
    this.#capacity = opts.capacity ?? STATS_CAPACITY
    // a supervised loop (its timers unref'd: a sampler alone never keeps the process up); a
    // sample that throws (a member listing that failed) is counted, logged and tried again
    this.#service = new PeriodicService({
      name: 'stats',
      run: async () => { await this.sample() },
      intervalMs: this.intervalMs,
      runAtStart: true,
      failures: opts.failures ?? new ServiceFailures(),
      log: opts.log ?? NO_LOG
    })
  }

  /** Samples now, then every interval (idempotent; a stopped sampler does not start again). */
  start (): void {
    this.#service.start()
  }

  /** Stops sampling and lets its readers go; resolves once a sample in progress has ended. */
  async stop (): Promise<void> {
    this.#readers.clear()
    await this.#service.stop()
  }

  /** The samples kept, oldest first. */
  samples (): StatsSample[] {
    return [...this.#samples]
  }

  /** Calls `reader` with every sample taken from now on, until the returned function is called. */
  subscribe (reader: (sample: StatsSample) => void): () => void {
    this.#readers.add(reader)
    return () => { this.#readers.delete(reader) }
  }

  /** Takes a sample now: the rates since the last one. The first reading only sets the baseline
   * (no sample). Returns the sample taken, if any. */
  async sample (): Promise<StatsSample | undefined> {
    // an interval that fires while a read is slow is skipped, not stacked
    if (this.#sampling) return undefined
    this.#sampling = true
    try {
      const reading = await this.#read()
      const last = this.#last
      // a clock that did not move keeps the baseline: what was counted meanwhile goes in the next
      if (last !== undefined && reading.at <= last.at) return undefined
      this.#last = reading
      if (last === undefined) return undefined
      const seconds = (reading.at - last.at) / 1000
      const rate = (now: number, before: number): number => round(Math.max(0, now - before) / seconds)
      const asks = reading.askCount - last.askCount
      const memory = (this.#sources.memory ?? process.memoryUsage)()
      const members = this.#sources.members()
      const self = members[0]
      const sample: StatsSample = {
        ts: reading.at,
        postsPerSec: rate(reading.posts, last.posts),
        deliveriesPerSec: rate(reading.deliveries, last.deliveries),
        asksPerSec: rate(reading.askCount, last.askCount),
        askMeanMs: asks > 0 ? round((reading.askSum - last.askSum) / asks * 1000) : null,
        askP99Ms: asks > 0 ? quantileMs(reading.askBuckets, last.askBuckets, 0.99) : null,
        tokensPerSec: rate(reading.tokens, last.tokens),
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        actors: self?.actors ?? 0,
        entities: self?.entities ?? 0,
        members
      }
      this.#samples.push(sample)
      if (this.#samples.length > this.#capacity) this.#samples.shift()
      for (const reader of this.#readers) {
        try { reader(sample) } catch { this.#readers.delete(reader) }
      }
      return sample
    } finally {
      this.#sampling = false
    }
  }

  async #read (): Promise<Reading> {
    const s = this.#sources
    const sum = (values: ReadonlyArray<{ value: number }>): number => values.reduce((total, v) => total + v.value, 0)
    const [posts, deliveries, tokens, asks] = await Promise.all([s.chatMessages.get(), s.chatDeliveries.get(), s.inferenceTokens.get(), s.askDuration.get()])
    const buckets = new Map<number, number>()
    let askCount = 0
    let askSum = 0
    for (const v of asks.values) {
      const name = (v as { metricName?: string }).metricName
      if (name?.endsWith('_bucket') === true) {
        const bound = (v.labels as Record<string, string | number | undefined>).le
        const le = bound === '+Inf' ? Infinity : Number(bound)
        buckets.set(le, (buckets.get(le) ?? 0) + v.value)
      } else if (name?.endsWith('_count') === true) askCount += v.value
      else if (name?.endsWith('_sum') === true) askSum += v.value
    }
    return {
      at: (s.now ?? Date.now)(),
      posts: sum(posts.values),
      deliveries: sum(deliveries.values),
      tokens: sum(tokens.values),
      askCount,
      askSum,
      askBuckets: [...buckets].sort((a, b) => a[0] - b[0])
    }
  }
}

/** The bucket bound (ms) that quantile `q` of the observations between two readings falls in; the
 * largest finite bound when it falls past them all. */
function quantileMs (now: ReadonlyArray<readonly [number, number]>, before: ReadonlyArray<readonly [number, number]>, q: number): number | null {
  const earlier = new Map(before)
  const deltas = now.map(([le, count]) => [le, count - (earlier.get(le) ?? 0)] as const)
  const total = deltas.at(-1)?.[1] ?? 0
  if (total <= 0) return null
  const rank = q * total
  let finite = 0
  for (const [le, count] of deltas) {
    if (Number.isFinite(le)) finite = le
    if (count >= rank) return round((Number.isFinite(le) ? le : finite) * 1000)
  }
  return round(finite * 1000)
}

/** Three significant decimals are plenty for a chart. */
function round (n: number): number {
  return Math.round(n * 1000) / 1000
}
