/**
 * Chat on one node, against bare @grpc/grpc-js doing the least the same service can do, measured
 * in the same run. The Plexi node is a real `plexi node start` process (journal fsync on, as
 * shipped); the baseline is bench/fixtures/raw-chat-server.ts, also its own process. Clients are
 * in this process, each on its own channel.
 *
 * - post→deliver latency: one user posts, another is subscribed; time from the post call to the
 *   subscriber receiving it, one message at a time. Baselines: a raw unary round trip, and (for the
 *   node with its journal's fsync on, as shipped) a raw unary round trip whose server first writes
 *   one raw LevelDB batch with `sync: true` of as many bytes as the node's store wrote for a post.
 * - posts/s with 100 subscribers: 64 posts in flight until every subscriber has every message.
 *   Baselines: raw unary posts/s (nothing relayed), and a raw relay to the same 100 subscribers.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { chatClient, startNodeProcess } from '../test/helpers/node-process.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { collector, figure, median, percentile } from './figure.ts'
import type { Bench } from './figure.ts'

const LATENCY_POSTS = 300
const ROUNDS = 3
const SUBSCRIBERS = 100
const THROUGHPUT_POSTS = 3_000
const IN_FLIGHT = 64
const POSTERS = 4

export type Client = ReturnType<typeof chatClient>
type Stream = ReturnType<Client['subscribe']>

/** Rejects after `timeout` ms: every wait of the bench is bounded. */
export function bounded<T> (promise: Promise<T>, what: string, timeout = 60_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`bench: timed out waiting for ${what}`)) }, timeout)
  })
  return Promise.race([promise, expired]).finally(() => { clearTimeout(timer) })
}

/** Streams ended by the node because their client fell behind (they resumed). */
let resumed = 0

/** Subscribes and tracks the highest seq received; like a real client, it resumes after the last
 * seq when the node ends the stream (RESOURCE_EXHAUSTED for a client that fell too far behind).
 * Waits are resolved by the stream's own events: the bench never spins while it measures. */
export function watch (client: Client, room: string): { cancel: () => void, live: Promise<void>, reached: (seq: number) => Promise<void> } {
  let highest = 0
  let stream: Stream
  let cancelled = false
  let markLive!: () => void
  const live = new Promise<void>((resolve) => { markLive = resolve })
  const waiters: Array<{ seq: number, resolve: () => void }> = []
  const open = (): void => {
    stream = client.subscribe(room, highest)
    stream.on('data', (event) => {
      if (event.message !== undefined && event.message !== null) {
        highest = Math.max(highest, event.message.seq)
        for (let i = waiters.length - 1; i >= 0; i--) {
          const waiter = waiters[i] as { seq: number, resolve: () => void }
          if (highest >= waiter.seq) {
            waiters.splice(i, 1)
            waiter.resolve()
          }
        }
      } else if (event.live !== undefined && event.live !== null) {
        markLive()
      }
    })
    stream.on('error', (err: grpc.ServiceError) => {
      if (cancelled || err.code === grpc.status.CANCELLED) return
      if (err.code !== grpc.status.RESOURCE_EXHAUSTED) throw new Error(`bench: stream error ${err.message}`)
      resumed++
      open()
    })
  }
  open()
  return {
    cancel: () => { cancelled = true; stream.cancel() },
    live,
    reached: (seq) => (highest >= seq ? Promise.resolve() : new Promise<void>((resolve) => { waiters.push({ seq, resolve }) }))
  }
}

export async function postDeliverLatency (poster: Client, reader: Client, room: string): Promise<number[]> {
  const feed = watch(reader, room)
  await bounded(feed.live, 'the subscription')
  const samples: number[] = []
  for (let i = 0; i < LATENCY_POSTS; i++) {
    const start = performance.now()
    const ack = await poster.call<{ seq: number }>('Post', { room, text: `latency ${i}` })
    await bounded(feed.reached(ack.seq), 'the delivery')
    samples.push(performance.now() - start)
  }
  feed.cancel()
  return samples
}

async function unaryRoundTrips (client: Client, room: string): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < LATENCY_POSTS; i++) {
    const start = performance.now()
    await client.call('Post', { room, text: `latency ${i}` })
    samples.push(performance.now() - start)
  }
  return samples
}

/** Posts THROUGHPUT_POSTS with IN_FLIGHT outstanding; with subscribers, waits until every one has
 * the last message. Returns posts per second. */
export async function throughput (posters: Client[], room: string, subscribers: Client[]): Promise<number> {
  const feeds = subscribers.map((s) => watch(s, room))
  await bounded(Promise.all(feeds.map((f) => f.live)), 'the subscribers')
  let next = 0
  let highest = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, lane) => {
    const poster = posters[lane % posters.length] as Client
    while (next < THROUGHPUT_POSTS) {
      next++
      const ack = await poster.call<{ seq: number }>('Post', { room, text: 'a chat message of about eighty bytes, which is what a typical chat line weighs..' })
      highest = Math.max(highest, ack.seq)
    }
  }))
  await bounded(Promise.all(feeds.map((f) => f.reached(highest))), 'every subscriber to have every message')
  const ms = performance.now() - start
  for (const feed of feeds) feed.cancel()
  return THROUGHPUT_POSTS / (ms / 1000)
}

async function startRawServer (args: readonly string[] = []): Promise<{ address: string, stop: () => void }> {
  const script = fileURLToPath(new URL('./fixtures/raw-chat-server.ts', import.meta.url))
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('raw server did not start')), 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /port (\d+)/.exec(chunk.toString())
      if (match !== null) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
  })
  return { address: `127.0.0.1:${port}`, stop: () => { child.kill('SIGTERM') } }
}

/** The node's store counters (plexi_journal_written_bytes_total, plexi_journal_batches_total). */
async function storeWrites (node: { readonly admin: string, readonly adminToken: string }): Promise<{ bytes: number, batches: number }> {
  const text = await (await fetch(`http://${node.admin}/metrics`, { headers: { authorization: `Bearer ${node.adminToken}` } })).text()
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN)
  return { bytes: read('plexi_journal_written_bytes_total'), batches: read('plexi_journal_batches_total') }
}

/** Bytes and batches a post since `before`, over `posts` posts. */
function storeWritesSince (now: { bytes: number, batches: number }, before: { bytes: number, batches: number }, posts: number): { bytes: number, batches: number } {
  const bytes = (now.bytes - before.bytes) / posts
  if (!Number.isFinite(bytes) || bytes <= 0) throw new Error('bench: the node\'s /metrics did not show what its store wrote')
  return { bytes, batches: (now.batches - before.batches) / posts }
}

export const chatBench: Bench = {
  name: 'chat',
  description: 'post→deliver latency and posts/s with 100 subscribers vs bare grpc-js, node and baseline as processes',
  async run (log) {
    const { figures, add } = collector(log)
    const unlimited = ['--chat-rate', '100000', '--chat-burst', '100000']
    const dir = await tempDir('plexi-bench-')
    const dirNoSync = await tempDir('plexi-bench-')
    const node = await startNodeProcess(dir.path, unlimited)
    const nodeNoSync = await startNodeProcess(dirNoSync.path, [...unlimited, '--no-journal-sync'])
    const raw = await startRawServer()
    const syncDir = await tempDir('plexi-bench-raw-sync-')
    const stops: Array<() => void> = []
    const clients: Client[] = []
    try {
      const token = async (target: typeof node, name: string): Promise<string> => {
        const res = await fetch(`http://${target.admin}/api/v1/users`, {
          method: 'POST', headers: { authorization: `Bearer ${target.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name })
        })
        return ((await res.json()) as { token: string }).token
      }
      const alice = await token(node, 'alice')
      const bob = await token(node, 'bob')
      const ours = (t: string, target = node): Client => { const c = chatClient(target.grpc, t); clients.push(c); return c }
      const bare = (): Client => { const c = chatClient(raw.address, 'unused'); clients.push(c); return c }

      const poster = ours(alice)
      const reader = ours(bob)
      const posterNoSync = ours(await token(nodeNoSync, 'alice'), nodeNoSync)
      const readerNoSync = ours(await token(nodeNoSync, 'bob'), nodeNoSync)
      const rawClient = bare()
      // warm up (JIT, connections, the rooms' activation)
      await postDeliverLatency(poster, reader, 'warm-up')
      await postDeliverLatency(posterNoSync, readerNoSync, 'warm-up')
      await unaryRoundTrips(rawClient, 'warm-up')
      // what the node writes for a post, read off its store's counters over a round of posts: the
      // fsynced baseline writes one raw batch of that many bytes a post
      const written = await storeWrites(node)
      await postDeliverLatency(poster, reader, 'calibration')
      const perPost = storeWritesSince(await storeWrites(node), written, LATENCY_POSTS)
      log(`  the node wrote ${perPost.bytes.toFixed(0)} bytes in ${perPost.batches.toFixed(2)} fsynced batches a post`)
      const rawSync = await startRawServer(['--fsync-dir', syncDir.path, '--batch-bytes', String(Math.round(perPost.bytes))])
      stops.push(rawSync.stop)
      const rawSyncClient = ((): Client => { const c = chatClient(rawSync.address, 'unused'); clients.push(c); return c })()
      await unaryRoundTrips(rawSyncClient, 'warm-up')
      const oursSamples: number[] = []
      const noSyncSamples: number[] = []
      const rawSamples: number[] = []
      const rawSyncSamples: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        rawSamples.push(...await unaryRoundTrips(rawClient, `latency-${round}`))
        rawSyncSamples.push(...await unaryRoundTrips(rawSyncClient, `latency-${round}`))
        oursSamples.push(...await postDeliverLatency(poster, reader, `latency-${round}`))
        noSyncSamples.push(...await postDeliverLatency(posterNoSync, readerNoSync, `latency-${round}`))
      }
      const rawName = (p: number): string => `raw grpc-js unary round trip p${p}`
      add(figure('post-deliver-p50-vs-grpc-plus-fsync', 'ms', percentile(oursSamples, 50), `raw grpc-js unary round trip + one raw LevelDB batch of ${Math.round(perPost.bytes)} B with sync: true, p50`, percentile(rawSyncSamples, 50), '<= 1.3x'))
      add(figure('post-deliver-p50', 'ms', percentile(oursSamples, 50), rawName(50), percentile(rawSamples, 50), '<= 2 (lower is better)'))
      add(figure('post-deliver-p99', 'ms', percentile(oursSamples, 99), rawName(99), percentile(rawSamples, 99), 'lower is better'))
      add(figure('post-deliver-p50-no-fsync', 'ms', percentile(noSyncSamples, 50), rawName(50), percentile(rawSamples, 50), '<= 2 (lower is better)'))
      add(figure('post-deliver-p99-no-fsync', 'ms', percentile(noSyncSamples, 99), rawName(99), percentile(rawSamples, 99), 'lower is better'))
      await nodeNoSync.stop()

      const posters = Array.from({ length: POSTERS }, () => ours(alice))
      const subscribers = Array.from({ length: SUBSCRIBERS }, () => ours(bob))
      const rawPosters = Array.from({ length: POSTERS }, () => bare())
      const rawSubscribers = Array.from({ length: SUBSCRIBERS }, () => bare())
      const oursRates: number[] = []
      const unaryRates: number[] = []
      const relayRates: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        unaryRates.push(await throughput(rawPosters, `tp-${round}`, []))
        relayRates.push(await throughput(rawPosters, `tp-${round}`, rawSubscribers))
        oursRates.push(await throughput(posters, `tp-${round}`, subscribers))
      }
      add(figure('posts-per-second-100-subscribers', 'posts/s', median(oursRates), 'raw grpc-js unary posts/s, nothing relayed', median(unaryRates), '>= 0.3'))
      add(figure('posts-per-second-100-subscribers-vs-relay', 'posts/s', median(oursRates), 'raw grpc-js relay to 100 streams', median(relayRates)))
      log(`  (subscriber streams the node ended as too far behind, then resumed: ${resumed})`)
    } finally {
      for (const client of clients) client.close()
      raw.stop()
      for (const stop of stops) stop()
      await node.stop()
      await nodeNoSync.stop()
      await dir.remove()
      await dirNoSync.remove()
      await syncDir.remove()
    }
    return figures
  }
}
