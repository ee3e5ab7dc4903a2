/**
 * Search's part of `npm run bench -- conversations` (issue 38), and its index alone
 * (`npm run bench -- search`):
 * - searchClusterFigures: given a running cluster holding the lead's data set (1,000,000 posts in
 *   1,000 rooms), full-text search p50/p99 through gRPC `Search` round-robin over the nodes,
 *   semantic p50 where nodes embed, indexing lag p99 (each node's plexi_search_indexing_lag_seconds),
 *   and each node's RSS with its index complete;
 * - searchIndexFigures: the index alone, in this process, as a node runs it (its own thread): the
 *   build rate of N posts in transactions of FEED_BATCH, FTS p50/p99 over them, the file's bytes and
 *   the process's RSS per million posts; and usearch alone: add rate and query p50 over N vectors.
 * Baselines: the goals' bounds (the issue's), so that ratio ≤ 1 is within the goal.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FEED_BATCH, IndexThread, VectorIndex, checkSearchQuery } from '../node/search/index.ts'
import type { IndexRow } from '../node/search/index.ts'
import { chatClient } from '../test/helpers/node-process.ts'
import { awaitQuiet } from './conversations-transfer.ts'
import { collector, figure, percentile } from './figure.ts'
import type { Bench, Figure } from './figure.ts'

/** The cluster the lead's bench hands over, its data loaded. */
export interface SearchBenchCluster {
  /** Every node: its gRPC address, its admin address and token (for /metrics and /api/v1/search). */
  readonly nodes: ReadonlyArray<{ readonly grpc: string, readonly admin: string, readonly adminToken: string }>
  /** A user's token (a user sees every room). */
  readonly token: string
  /** How many posts the data set holds: every node's index holds them once it caught up. */
  readonly posts: number
  /** Words of the data set's posts (queries are drawn from them), and some of its rooms. */
  readonly vocabulary: readonly string[]
  readonly rooms: readonly string[]
  /** Queries to time. @default 2,000 */
  readonly queries?: number
  /** How long the indexes may take to hold every post (ms). @default 30 minutes */
  readonly indexTimeoutMs?: number
}

const MIB = 1_048_576

/** A metric's value in Prometheus text (the first series matching `name` and `labels`). */
function metric (text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels === '' ? ' ' : `{${labels}} `}`))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

/** A histogram's q-quantile (seconds), as the upper bound of the bucket it falls in. */
export function histogramQuantile (text: string, name: string, q: number): number {
  // the last bucket's bound is "+Inf" (Number() would make it NaN): a quantile there is past every bound
  const bound = (le: string | undefined): number => le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le)
  const buckets = text.split('\n').filter((l) => l.startsWith(`${name}_bucket{`)).map((l) => ({ le: bound(/le="([^"]+)"/.exec(l)?.[1]), n: Number(l.slice(l.lastIndexOf(' ') + 1)) }))
  const total = buckets.at(-1)?.n ?? 0
  return buckets.find((b) => b.n >= q * total)?.le ?? Number.NaN
}

async function scrape (node: SearchBenchCluster['nodes'][number]): Promise<string> {
  return await (await fetch(`http://${node.admin}/metrics`, { headers: { authorization: `Bearer ${node.adminToken}` } })).text()
}

/** How long the nodes stay at rest before their memory is read (V8's memory reducer starts 8 s
 * after the heap goes idle). */
const AT_REST_MS = 10_000

/** Waits until every node's index is complete and holds `posts` rows; the ms it took. */
async function indexed (cluster: SearchBenchCluster, log: (line: string) => void): Promise<number> {
  const started = performance.now()
  const end = started + (cluster.indexTimeoutMs ?? 30 * 60_000)
  for (;;) {
    const texts = await Promise.all(cluster.nodes.map(scrape))
    const rows = texts.map((t) => metric(t, 'plexi_search_index', 'what="rows"') ?? 0)
    if (texts.every((t) => metric(t, 'plexi_search_complete') === 1) && rows.every((r) => r >= cluster.posts)) return performance.now() - started
    if (performance.now() > end) throw new Error(`bench: the search indexes hold ${rows.join(', ')} of ${cluster.posts} posts after ${cluster.indexTimeoutMs ?? 30 * 60_000} ms`)
    log(`  waiting for the indexes: ${rows.join(', ')} of ${cluster.posts} posts`)
    await new Promise((resolve) => setTimeout(resolve, 2_000))
  }
}

/** One query of the bench's mix: a word, two words, or a word in one room. */
function queryOf (i: number, cluster: Pick<SearchBenchCluster, 'vocabulary' | 'rooms'>): { query: string, rooms?: string[] } {
  const v = cluster.vocabulary
  const word = (k: number): string => v[(i * 7919 + k * 104_729) % v.length] as string
  if (i % 3 === 0) return { query: word(0) }
  if (i % 3 === 1) return { query: `${word(0)} ${word(1)}` }
  return { query: word(0), rooms: [cluster.rooms[i % cluster.rooms.length] as string] }
}

/** Search's figures on a running cluster holding the lead's data set (see the file's comment). */
export async function searchClusterFigures (cluster: SearchBenchCluster, log: (line: string) => void): Promise<Figure[]> {
  const { figures, add } = collector(log)
  const buildMs = await indexed(cluster, log)
  add(figure('search: indexes complete after the data set loaded', 'ms', buildMs, 'none', 0))
  const clients = cluster.nodes.map((n) => chatClient(n.grpc, cluster.token))
  try {
    for (const mode of ['text', 'semantic'] as const) {
      const samples: number[] = []
      let partial = 0
      let used = 0
      const n = mode === 'text' ? cluster.queries ?? 2_000 : Math.min(500, cluster.queries ?? 2_000)
      for (let i = 0; i < n; i++) {
        const started = performance.now()
        const a = await (clients[i % clients.length] as ReturnType<typeof chatClient>).call<{ partial: boolean, semantic: string, embedMs: number }>('Search', { ...queryOf(i, cluster), mode, limit: 20 })
        samples.push(performance.now() - started - (mode === 'semantic' ? a.embedMs : 0))
        if (a.partial) partial++
        if (a.semantic === 'used') used++
      }
      if (mode === 'semantic' && used === 0) { log('  semantic: no node embeds (search-embedding-model unset): not measured'); continue }
      const goalP50 = mode === 'text' ? 50 : 10
      add(figure(`search ${mode}: p50 over ${cluster.posts} posts (gRPC, ${cluster.nodes.length} nodes${mode === 'semantic' ? ', less the query\'s embedding' : ''})`, 'ms', percentile(samples, 50), 'goal', goalP50, `<= ${goalP50}`))
      if (mode === 'text') add(figure(`search text: p99 over ${cluster.posts} posts`, 'ms', percentile(samples, 99), 'goal', 200, '<= 200'))
      add(figure(`search ${mode}: partial answers`, 'count', partial, 'none', 0))
    }
  } finally {
    for (const c of clients) c.close()
  }
  // memory is read once the nodes are at rest (LevelDB done compacting, V8 done collecting what
  // the bulk indexing left: its memory reducer runs a full collection some 8 s after a busy heap
  // goes idle): while it is busy a V8 heap may grow to several times what it holds between two
  // full collections, so a reading taken mid-work says more about the moment than about the data
  // set; the peak since each node started is quoted beside it
  const quiet = await awaitQuiet(cluster.nodes)
  await new Promise((resolve) => setTimeout(resolve, AT_REST_MS))
  log(`  the nodes were quiet ${quiet.seconds.toFixed(1)} s after the searches; memory read ${AT_REST_MS / 1000} s later`)
  const texts = await Promise.all(cluster.nodes.map(scrape))
  texts.forEach((t, i) => {
    add(figure(`search: indexing lag p99 on node ${i + 1} since it started, bulk load included (histogram bucket bound)`, 'ms', histogramQuantile(t, 'plexi_search_indexing_lag_seconds', 0.99) * 1000, 'goal', 1_000, '<= 1000'))
    add(figure(`search: RSS of node ${i + 1} with ${cluster.posts} posts indexed, at rest`, 'MiB', (metric(t, 'plexi_process_resident_memory_bytes') ?? Number.NaN) / MIB, 'goal', 1_024, '<= 1024'))
    add(figure(`search: peak RSS of node ${i + 1} since it started (load, indexing and searches)`, 'MiB', (metric(t, 'plexi_process_resident_memory_peak_bytes') ?? Number.NaN) / MIB, 'none', 0))
    add(figure(`search: index file of node ${i + 1}`, 'MiB', (metric(t, 'plexi_search_index', 'what="bytes"') ?? Number.NaN) / MIB, 'none', 0))
  })
  return figures
}

/** What the index-alone bench builds. */
export interface SearchIndexBenchOptions {
  /** @default 1,000,000 (env PLEXI_BENCH_SEARCH_POSTS) */
  readonly posts?: number
  /** @default 1,000 */
  readonly rooms?: number
  /** Vectors in the usearch part, and their width. @default 1,000,000 of 64 (env PLEXI_BENCH_SEARCH_VECTORS) */
  readonly vectors?: number
  readonly dimensions?: number
  /** Queries timed. @default 2,000 */
  readonly queries?: number
}

/** A deterministic xorshift generator: the same corpus every run. */
function random (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x / 4_294_967_296
  }
}

/** 20,000 words, drawn Zipf-like (a few common, most rare), as chat is. */
const WORDS = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}${'aeiou'[i % 5] as string}`)
function word (r: () => number): string {
  return WORDS[Math.min(WORDS.length - 1, Math.floor(Math.exp(r() * Math.log(WORDS.length))) - 1)] as string
}

/** The corpus's post `i`: 6-30 words, in room `i % rooms`. */
function postOf (i: number, rooms: number, r: () => number): IndexRow {
  const n = 6 + Math.floor(r() * 25)
  const words: string[] = []
  for (let k = 0; k < n; k++) words.push(word(r))
  return { partition: i % 256, entity: `room/r${i % rooms}`, seq: Math.floor(i / rooms) + 1, author: `u${i % 500}`, ts: 1_700_000_000_000 + i * 1_000, text: words.join(' ') }
}

/** The index as a node runs it (its thread), built with `posts` posts; then FTS queries timed. */
async function ftsFigures (o: Required<SearchIndexBenchOptions>, add: (f: Figure) => void, log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plexi-bench-search-'))
  const thread = new IndexThread()
  try {
    await thread.open({ dbPath: join(dir, 'search.sqlite') })
    const r = random(38)
    const started = performance.now()
    for (let i = 0; i < o.posts; i += FEED_BATCH) {
      const put: IndexRow[] = []
      for (let k = i; k < Math.min(o.posts, i + FEED_BATCH); k++) put.push(postOf(k, o.rooms, r))
      await thread.apply({ put, remove: [], redact: [], touch: [] })
      if (i % 100_000 === 0 && i > 0) log(`  ${i} posts indexed`)
    }
    const buildMs = performance.now() - started
    add(figure(`search index alone: build rate (${o.posts} posts, transactions of ${FEED_BATCH}, its own thread)`, 'posts/s', o.posts / (buildMs / 1000), 'none', 0))
    const samples: number[] = []
    const rq = random(7)
    for (let i = 0; i < o.queries; i++) {
      const text = i % 2 === 0 ? word(rq) : `${word(rq)} ${word(rq)}`
      const query = checkSearchQuery({ text, limit: 20, ...(i % 3 === 2 && { rooms: [`r${i % o.rooms}`] }) })
      const t = performance.now()
      await thread.search({ query, viewer: { user: 'u1' } })
      samples.push(performance.now() - t)
    }
    add(figure(`search index alone: FTS p50 over ${o.posts} posts in ${o.rooms} rooms`, 'ms', percentile(samples, 50), 'goal', 50, '<= 50'))
    add(figure(`search index alone: FTS p99 over ${o.posts} posts`, 'ms', percentile(samples, 99), 'goal', 200, '<= 200'))
    const size = await thread.stats()
    add(figure('search index alone: file per million posts', 'MiB', size.bytes / MIB / (o.posts / 1e6), 'none', 0))
    // the whole process: node itself, the index thread, SQLite's page cache (the file is on disk)
    add(figure(`search index alone: this process's RSS with ${o.posts} posts indexed and searched`, 'MiB', process.memoryUsage().rss / MIB, 'goal', 1_024, '<= 1024'))
  } finally {
    await thread.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** usearch alone: `vectors` random unit vectors added in batches (both cores), then queries timed. */
function vectorFigures (o: Required<SearchIndexBenchOptions>, add: (f: Figure) => void, log: (line: string) => void): void {
  const { index } = VectorIndex.open(o.dimensions)
  const r = random(64)
  const vector = (): Float32Array => {
    const v = Float32Array.from({ length: o.dimensions }, () => r() - 0.5)
    const norm = Math.hypot(...v)
    return v.map((x) => x / norm)
  }
  const rssBefore = process.memoryUsage().rss
  const started = performance.now()
  const BATCH = 10_000
  for (let i = 0; i < o.vectors; i += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, o.vectors - i) }, (_, k) => i + k + 1)
    index.add(ids, ids.map(vector), 2)
    if (i % 100_000 === 0 && i > 0) log(`  ${i} vectors added`)
  }
  const addMs = performance.now() - started
  add(figure(`search vectors alone: add rate (${o.vectors} of ${o.dimensions} dims, f16, 2 threads)`, 'vectors/s', o.vectors / (addMs / 1000), 'none', 0))
  const samples: number[] = []
  for (let i = 0; i < o.queries; i++) {
    const q = vector()
    const t = performance.now()
    index.search(q, 80)
    samples.push(performance.now() - t)
  }
  add(figure(`search vectors alone: query p50 over ${o.vectors} vectors (k = 80: 4 × 20 hits)`, 'ms', percentile(samples, 50), 'goal', 10, '<= 10'))
  add(figure(`search vectors alone: RSS per million vectors of ${o.dimensions} dims`, 'MiB', (process.memoryUsage().rss - rssBefore) / MIB / (o.vectors / 1e6), 'none', 0))
}

/** The index alone (see the file's comment). */
export async function searchIndexFigures (log: (line: string) => void, opts: SearchIndexBenchOptions = {}): Promise<Figure[]> {
  const o: Required<SearchIndexBenchOptions> = {
    posts: opts.posts ?? Number(process.env.PLEXI_BENCH_SEARCH_POSTS ?? 1_000_000),
    rooms: opts.rooms ?? 1_000,
    vectors: opts.vectors ?? Number(process.env.PLEXI_BENCH_SEARCH_VECTORS ?? 1_000_000),
    dimensions: opts.dimensions ?? 64,
    queries: opts.queries ?? 2_000
  }
  const { figures, add } = collector(log)
  // 0 skips a part (PLEXI_BENCH_SEARCH_POSTS=0: the vectors alone)
  if (o.posts > 0) await ftsFigures(o, add, log)
  if (o.vectors > 0) vectorFigures(o, add, log)
  return figures
}

export const searchBench: Bench = {
  name: 'search',
  description: 'the search index alone: build rate, FTS p50/p99 over 1M posts, usearch over 1M vectors, memory',
  run: async (log) => await searchIndexFigures(log)
}
