/**
 * Live migration (issue 14), on real `plexi node start` processes on loopback: five chat+storage
 * nodes (R=3, W=2, a cluster key, default failure-timeout), chat clients in the bench process
 * posting into rooms through them the whole time: SENDERS senders, each with one post in flight
 * and at most one post every SEND_INTERVAL_MS (about 200 posts/s in all), each post with its own
 * client id, each sender through the nodes in the clients' rotation in turn.
 *
 * 1. Steady state: STEADY seconds of that load, no node stopped: post ack p50 and p99 (the
 *    baselines of the latency figures).
 * 2. Rolling restart: each node in turn leaves the clients' rotation (posts in flight through it
 *    go on), gets SIGTERM (a drain: its rooms move live to the others), is waited for until it
 *    exits, starts again on its data dir (its share of the rooms moves back live) and is waited
 *    for until every node sees five members up and no node has a move pending; then it is back
 *    in the rotation. Every error a client saw counts (goal 0); post ack p99 during it against the
 *    steady p99. Every live move's pause (release start on the old owner → the entity running on
 *    the new owner with its waiting messages delivered, as the new owner measures it) is read
 *    from the old owner's `plexi_migration_pause_seconds` (a process that exits is scraped when it
 *    logs its drain line, before it stops): p50 and p99 (goal p99 <= 50 ms), interpolated within the buckets
 *    (node/metrics: 1 ms wide up to 5 ms, then 2.5, 5 and 10 ms wide up to 50 ms), and the exact
 *    share of moves that took at most 50 ms (logged). What a client sees: ack p99 of the posts to the
 *    rooms that moved, sent while they moved (a drain: SIGTERM to exit; a return: ready to no
 *    move pending). The bench's own looks at the nodes are kept sparse (SETTLE_POLL_MS,
 *    SCRAPE_EVERY_MS): each costs the nodes CPU while the rooms it waits for move.
 * 3. Cold moves, the pause's baseline: one node is SIGKILLed (out of the rotation first, and its
 *    in-flight posts answered); for each of its rooms, a prober posts through another node until
 *    a post is acknowledged, retrying every 10 ms: the time from the kill is what that room took
 *    no messages when it moved cold (the others see the node down, the room's new owner recovers
 *    it from its journal). The errors the load's clients saw meanwhile are the baseline of the
 *    error figures.
 * 4. Drain of a node holding ENTITIES rooms: the killed node starts again with --capacity
 *    BIG_CAPACITY (the others' capacity is their core count), so placement gives it nearly every
 *    room; one post to each of enough new rooms (PRIME_IN_FLIGHT in flight, through the other
 *    four) until its `plexi_actors{kind="room"}` reaches ENTITIES + PRIME_MARGIN; the load then
 *    posts into those rooms through the other four, and the node gets SIGTERM: time to its
 *    `drain: N entities moved` line and to its exit, the entities moved by outcome, the errors
 *    clients saw. Rooms passivate after 2 to 4 minutes idle (DEFAULT_ENTITY_IDLE_MS, no config
 *    key): the priming (about 100 s, each new room registering in the one room directory) goes on
 *    until the gauge says enough are active, and the figures name the count at the SIGTERM.
 *    Baseline: the time the same rooms' first activation took (the priming).
 *
 * Env (for a quicker look; the documented figures use the defaults): PLEXI_BENCH_MIGRATION_ENTITIES
 * (default 10000), PLEXI_BENCH_MIGRATION_ROOMS (rooms of the load in steps 1-3, default 120),
 * PLEXI_BENCH_MIGRATION_STEADY_SECONDS (default 10). The nodes take the bench's environment, so
 * e.g. PLEXI_MIGRATION_CONCURRENCY=8 runs every node with that setting. About 8 minutes in all on
 * the 2-core dev machine, a third of it the priming.
 */
import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type * as grpc from '@grpc/grpc-js'
import { rendezvousOwner } from '../node/mesh/index.ts'
import { chatClient, runCli, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { waitFor } from '../test/helpers/wait-for.ts'
import { collector, envNumber, figure, percentile } from './figure.ts'
import type { Bench } from './figure.ts'

const NODES = 5
const SENDERS = 8
const SEND_INTERVAL_MS = 40
/** Posts in flight while the big drain's rooms are activated (the migrator's own default
 * concurrency, migration-concurrency). */
const PRIME_IN_FLIGHT = 64
/** Against the others' default capacity (their core count), the big node's share of the rooms. */
const BIG_CAPACITY = 1000
/** Rooms the priming activates over ENTITIES on the big node. */
const PRIME_MARGIN = 64
/** Rooms posted to at most, as a multiple of ENTITIES, before the priming gives up. */
const PRIME_ROOMS_FACTOR = 1.25
/** Rooms passivate after DEFAULT_ENTITY_IDLE_MS (2 min) idle; a priming longer than this may
 * have lost some before the drain. */
const PRIME_WARN_MS = 110_000
const NODE_READY_MS = 60_000
const SETTLE_MS = 90_000
/** A node's drain and exit, at most (the drain itself bounds its moves by migration-timeout + ~7 s). */
const EXIT_MS = 120_000
/** A cold probe gives up after this (the figure then says so). */
const COLD_LIMIT_MS = 30_000
const COLD_RETRY_MS = 10
/** Every sender stops by itself after this, whatever happens. */
const LOAD_LIMIT_MS = 20 * 60_000
/** While a node drains, its histogram is scraped this often in case the scrape at its drain line
 * comes too late (a scrape is CPU on the node: more often would slow the moves it measures). */
const SCRAPE_EVERY_MS = 5_000
/** How often the bench looks whether the cluster settled (each look asks every node for its
 * members, the cluster for its rooms and every node for its metrics: more often would load the
 * nodes while rooms move back, and weigh on the pauses measured then). */
const SETTLE_POLL_MS = 500


// ============================================================================================
// The nodes
// ============================================================================================

interface Member {
  readonly name: string
  readonly dir: string
  node: NodeProcess
  peerId: string
  p2p: string
  /** When it was last ready (performance.now()). */
  readyAt: number
  /** The log lines of each process it ran (the current one's grow as they come). */
  readonly logs: Array<ReadonlyArray<Record<string, unknown>>>
  exited: boolean
}

/** Node processes still running, SIGKILLed by pid if the bench process exits without stopping them. */
const running = new Set<NodeProcess>()
let exitHook = false
function track (node: NodeProcess): void {
  running.add(node)
  void node.exited.then(() => { running.delete(node) })
  if (!exitHook) {
    exitHook = true
    process.once('exit', () => { for (const n of running) { try { process.kill(n.pid, 'SIGKILL') } catch { /* gone */ } } })
  }
}

async function api<T> (node: NodeProcess, path: string): Promise<T> {
  const res = await fetch(`http://${node.admin}/api/v1${path}`, { headers: { authorization: `Bearer ${node.adminToken}` }, signal: AbortSignal.timeout(15_000) })
  if (!res.ok) throw new Error(`bench: GET ${path} on ${node.admin}: HTTP ${res.status} ${await res.text()}`)
  return await res.json() as T
}

/** Polls `check` (an error counts as not yet) until it holds, at most `ms`. */
async function until (what: string, check: () => Promise<boolean>, ms: number, interval = SETTLE_POLL_MS): Promise<void> {
  await waitFor(async () => await check().catch(() => false), what, { timeout: ms, interval })
}

// ============================================================================================
// Metrics: the pause histogram, rooms active, moves pending
// ============================================================================================

/** A Prometheus histogram: cumulative counts at each finite upper bound (seconds), then the total. */
interface Histogram {
  readonly bounds: readonly number[]
  readonly cumulative: readonly number[]
  readonly count: number
  readonly sum: number
}

const EMPTY: Histogram = { bounds: [], cumulative: [], count: 0, sum: 0 }

interface Scrape {
  readonly pause: Histogram
  readonly rooms: number
  readonly pending: number
  /** plexi_migrations_total by `${trigger}/${outcome}` */
  readonly moves: ReadonlyMap<string, number>
}

async function scrape (node: NodeProcess): Promise<Scrape> {
  const res = await fetch(`http://${node.admin}/metrics`, { headers: { authorization: `Bearer ${node.adminToken}` }, signal: AbortSignal.timeout(10_000) })
  if (!res.ok) throw new Error(`bench: GET /metrics on ${node.admin}: HTTP ${res.status}`)
  const text = await res.text()
  const bounds: number[] = []
  const cumulative: number[] = []
  let count = 0
  let sum = 0
  let rooms = 0
  let pending = 0
  const moves = new Map<string, number>()
  for (const line of text.split('\n')) {
    let m = /^plexi_migration_pause_seconds_bucket\{le="([^"]+)"\} (\S+)$/.exec(line)
    if (m !== null) {
      if (m[1] !== '+Inf') {
        bounds.push(Number(m[1]))
        cumulative.push(Number(m[2]))
      }
      continue
    }
    if ((m = /^plexi_migration_pause_seconds_count (\S+)$/.exec(line)) !== null) count = Number(m[1])
    else if ((m = /^plexi_migration_pause_seconds_sum (\S+)$/.exec(line)) !== null) sum = Number(m[1])
    else if ((m = /^plexi_actors\{kind="room"\} (\S+)$/.exec(line)) !== null) rooms = Number(m[1])
    else if ((m = /^plexi_migrations_pending (\S+)$/.exec(line)) !== null) pending = Number(m[1])
    else if ((m = /^plexi_migrations_total\{trigger="([^"]+)",outcome="([^"]+)"\} (\S+)$/.exec(line)) !== null) moves.set(`${m[1]}/${m[2]}`, Number(m[3]))
  }
  if (bounds.length === 0) throw new Error(`bench: ${node.admin}/metrics has no plexi_migration_pause_seconds`)
  return { pause: { bounds, cumulative, count, sum }, rooms, pending, moves }
}

/** Moves by trigger the nodes made between two scrapes of each. */
function movesBetween (before: readonly Scrape[], after: readonly Scrape[]): Record<string, number> {
  const out: Record<string, number> = {}
  after.forEach((a, i) => {
    for (const [label, n] of a.moves) {
      const trigger = label.split('/')[0] as string
      const delta = n - ((before[i] as Scrape).moves.get(label) ?? 0)
      if (delta > 0) out[trigger] = (out[trigger] ?? 0) + delta
    }
  })
  return out
}

function combine (a: Histogram, b: Histogram, sign: 1 | -1): Histogram {
  if (a.bounds.length === 0) return sign === 1 ? b : { bounds: b.bounds, cumulative: b.cumulative.map((c) => -c), count: -b.count, sum: -b.sum }
  if (b.bounds.length === 0) return a
  if (a.bounds.join() !== b.bounds.join()) throw new Error('bench: pause histograms with different buckets')
  return { bounds: a.bounds, cumulative: a.cumulative.map((c, i) => c + sign * (b.cumulative[i] as number)), count: a.count + sign * b.count, sum: a.sum + sign * b.sum }
}

/** The q-quantile (0-1) in ms, interpolated linearly within its bucket (Prometheus'
 * histogram_quantile); above the last finite bound it is that bound. */
function quantileMs (h: Histogram, q: number): number {
  if (h.count <= 0) return Number.NaN
  const rank = q * h.count
  for (let i = 0; i < h.bounds.length; i++) {
    const cum = h.cumulative[i] as number
    if (cum >= rank) {
      const lower = i === 0 ? 0 : h.bounds[i - 1] as number
      const below = i === 0 ? 0 : h.cumulative[i - 1] as number
      const inBucket = cum - below
      return 1000 * (inBucket <= 0 ? lower : lower + ((h.bounds[i] as number) - lower) * ((rank - below) / inBucket))
    }
  }
  return 1000 * (h.bounds.at(-1) as number)
}

/** The share (0-1) of observations at or under `seconds`, which must be a bucket bound. */
function shareAtMost (h: Histogram, seconds: number): number {
  const i = h.bounds.indexOf(seconds)
  if (i < 0) throw new Error(`bench: ${seconds} s is not a bucket bound of the pause histogram`)
  return h.count <= 0 ? Number.NaN : (h.cumulative[i] as number) / h.count
}

function describeHistogram (h: Histogram): string {
  return `${h.count} moves, p50 ${quantileMs(h, 0.5).toFixed(1)} ms, p99 ${quantileMs(h, 0.99).toFixed(1)} ms, mean ${(1000 * h.sum / h.count).toFixed(1)} ms, ${(100 * shareAtMost(h, 0.05)).toFixed(1)}% <= 50 ms`
}

// ============================================================================================
// The load
// ============================================================================================

type Client = ReturnType<typeof chatClient>

interface PostRecord {
  readonly room: string
  readonly start: number
  end: number
  ok: boolean
}

interface ClientError {
  readonly at: number
  readonly room: string
  readonly via: string
  readonly code: number | undefined
  readonly message: string
}

/** gRPC clients by address: a restarted node listens on new ports. */
class Clients {
  readonly #token: string
  readonly #byAddress = new Map<string, Client>()
  constructor (token: string) { this.#token = token }
  of (address: string): Client {
    let client = this.#byAddress.get(address)
    if (client === undefined) {
      client = chatClient(address, this.#token)
      this.#byAddress.set(address, client)
    }
    return client
  }

  close (): void {
    for (const c of this.#byAddress.values()) c.close()
    this.#byAddress.clear()
  }
}

/**
 * SENDERS senders posting until stopped, each one post at a time and at most one every
 * SEND_INTERVAL_MS, through `gateways()` in turn, into `room()`. Every post and every error is kept.
 */
class Load {
  readonly posts: PostRecord[] = []
  readonly errors: ClientError[] = []
  /** Posts in flight, by gateway address. */
  readonly inFlight = new Map<string, number>()
  room: () => string
  readonly #senders: Array<Promise<void>>
  #stopped = false

  constructor (clients: Clients, gateways: () => readonly string[], room: () => string) {
    this.room = room
    const began = performance.now()
    this.#senders = Array.from({ length: SENDERS }, async (_, sender) => {
      for (let i = 0; !this.#stopped && performance.now() - began < LOAD_LIMIT_MS; i++) {
        const t0 = performance.now()
        const via = gateways()
        const address = via[(sender + i) % via.length] as string
        const room = this.room()
        const post: PostRecord = { room, start: t0, end: t0, ok: false }
        this.posts.push(post)
        this.inFlight.set(address, (this.inFlight.get(address) ?? 0) + 1)
        try {
          await clients.of(address).call('Post', { room, text: `load ${sender}-${i}`, clientId: randomUUID() })
          post.ok = true
        } catch (err) {
          this.errors.push({ at: performance.now(), room, via: address, code: (err as grpc.ServiceError).code, message: (err as Error).message })
        } finally {
          post.end = performance.now()
          this.inFlight.set(address, (this.inFlight.get(address) ?? 1) - 1)
        }
        const wait = SEND_INTERVAL_MS - (performance.now() - t0)
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
      }
    })
  }

  /** Acked posts' latencies (ms) of the posts that `pick` takes. */
  latencies (pick: (p: PostRecord) => boolean): number[] {
    return this.posts.filter((p) => p.ok && p.end > p.start && pick(p)).map((p) => p.end - p.start)
  }

  errorsBetween (from: number, to: number): ClientError[] {
    return this.errors.filter((e) => e.at >= from && e.at <= to)
  }

  async stop (): Promise<void> {
    this.#stopped = true
    await Promise.all(this.#senders)
  }
}

function describeErrors (errors: readonly ClientError[]): string {
  if (errors.length === 0) return 'none'
  const kinds = new Map<string, number>()
  for (const e of errors) {
    const key = `code ${String(e.code)}: ${e.message.slice(0, 160)}`
    kinds.set(key, (kinds.get(key) ?? 0) + 1)
  }
  return [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${n}× ${k}`).join('; ')
}

function describeLatencies (ms: readonly number[]): string {
  if (ms.length === 0) return 'no posts'
  return `${ms.length} posts, p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`
}

/** The warnings and errors the nodes logged since `since` (ms since the epoch), counted by message
 * with entity names and peer ids left out, the most frequent first. */
function describeWarnings (members: readonly Member[], since: number): string {
  const kinds = new Map<string, number>()
  for (const m of members) {
    for (const l of m.logs.flat()) {
      if (typeof l.level !== 'number' || l.level < 40 || typeof l.time !== 'number' || l.time < since) continue
      const text = `${m.name}: ${String(l.msg).replace(/\b(room|rooms|users|agent)\/[^\s:;,)]+/g, '$1/…').replace(/12D3KooW\w+/g, 'peer').slice(0, 200)}`
      kinds.set(text, (kinds.get(text) ?? 0) + 1)
    }
  }
  if (kinds.size === 0) return 'none'
  return [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${n}× ${k}`).join(' | ')
}

/** The errors and fatal errors the nodes logged since `since`, each whole (with its stack): they
 * are bugs, or what made a figure what it is. */
function errorLines (members: readonly Member[], since: number): string[] {
  return members.flatMap((m) => m.logs.flat()
    .filter((l) => typeof l.level === 'number' && l.level >= 50 && typeof l.time === 'number' && l.time >= since)
    .slice(0, 5)
    .map((l) => `node ${m.name}: ${String(l.msg)}${l.err === undefined ? '' : ` ${JSON.stringify(l.err).slice(0, 1500)}`}`))
}

// ============================================================================================
// The bench
// ============================================================================================

interface DrainResult {
  /** ms from SIGTERM to the drain line (as the node timed it); undefined without one */
  readonly lineMs: number | undefined
  readonly exitMs: number
  readonly code: number | null
  readonly moved: number
  readonly outcomes: Record<string, number>
  /** The node's pause histogram before the SIGTERM, and as it logged its drain line. */
  readonly before: Histogram
  readonly final: Histogram
  /** Its moves meanwhile by trigger (drain: its own queue, `migration-concurrency` at a time;
   * claim: a new owner asked for the entity as a message for it arrived there). */
  readonly triggers: Record<string, number>
  readonly sigtermAt: number
  readonly exitAt: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export const migrationBench: Bench = {
  name: 'migration',
  description: 'live migration on 5 nodes under chat load: move pause p50/p99 against cold moves, a rolling restart\'s client errors and p99, the drain of a node holding 10,000 rooms',
  async run (log) {
    const { figures, add } = collector(log)
    const entities = envNumber('PLEXI_BENCH_MIGRATION_ENTITIES', 10_000, { integer: true })
    const roomCount = envNumber('PLEXI_BENCH_MIGRATION_ROOMS', 120, { integer: true })
    const steadyMs = envNumber('PLEXI_BENCH_MIGRATION_STEADY_SECONDS', 10, { integer: true }) * 1000
    const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
    const members: Member[] = []
    let clients: Clients | undefined
    let load: Load | undefined
    try {
      const keyDir = await tempDir('plexi-bench-migration-')
      dirs.push(keyDir)
      const keyFile = join(keyDir.path, 'cluster.key')
      await writeFile(keyFile, (await runCli(['cluster', 'keygen'])).stdout, { mode: 0o600 })

      const boot = async (dir: string, name: string, joinAt: string | undefined, extra: readonly string[] = []): Promise<Member> => {
        const node = await startNodeProcess(dir, ['--role', 'chat,storage', '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0',
          ...extra, ...(joinAt === undefined ? [] : ['--join', joinAt])], NODE_READY_MS)
        track(node)
        const ready = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
        const p2p = (ready?.p2p as string[] | undefined)?.[0]
        if (p2p === undefined || typeof ready?.peerId !== 'string') throw new Error(`bench: node ${name} logged no peer id or p2p address: ${JSON.stringify(ready)}`)
        return { name, dir, node, peerId: ready.peerId, p2p, readyAt: performance.now(), exited: false, logs: [node.logs] }
      }
      const live = (): Member[] => members.filter((m) => !m.exited)
      const restart = async (m: Member, extra: readonly string[] = []): Promise<void> => {
        const joinAt = (live().find((o) => o !== m) as Member).p2p
        const next = await boot(m.dir, m.name, joinAt, extra)
        if (next.peerId !== m.peerId) throw new Error(`bench: node ${m.name} came back as ${next.peerId}, not ${m.peerId}`)
        m.node = next.node
        m.p2p = next.p2p
        m.readyAt = next.readyAt
        m.logs.push(next.node.logs)
        m.exited = false
      }
      /** Every node sees NODES members up, and no node has a move queued or under way. */
      /** Every member sees every node up, every room of `rooms` that is active is where placement
       * puts it (a member back takes its share only after the settle time: no move pending is not
       * enough), and no move is pending. */
      const settle = async (what: string, rooms: readonly string[] = []): Promise<void> => {
        // up, and settled: a member that has just come up takes entities once it has been up the
        // settle time (its record's `settled`)
        for (const m of live()) await until(`${what}: node ${m.name} to see ${NODES} members up and settled`, async () => (await api<Array<{ status: string, settled?: boolean }>>(m.node, '/nodes')).filter((n) => n.status === 'up' && n.settled !== false).length === NODES, SETTLE_MS)
        if (rooms.length > 0) {
          await until(`${what}: every room where placement puts it`, async () => {
            const up = (await api<Array<{ status: string, roles: string[], peerId: string, capacity: number }>>((live()[0] as Member).node, '/nodes')).filter((n) => n.status === 'up' && n.roles.includes('chat'))
            const owners = await roomOwners()
            return rooms.every((room) => { const at = owners.get(room); return at === undefined || at === rendezvousOwner(`room/${room}`, up) })
          }, SETTLE_MS)
        }
        await until(`${what}: no move pending on any node`, async () => (await Promise.all(live().map(async (m) => (await scrape(m.node)).pending))).every((n) => n === 0), SETTLE_MS)
      }
      const roomOwners = async (): Promise<Map<string, string>> => {
        const rows = await api<Array<{ key: string | null, node: string }>>((live()[0] as Member).node, '/actors?type=room&limit=1000')
        return new Map(rows.flatMap((r) => r.key === null ? [] : [[r.key, r.node] as [string, string]]))
      }
      const roomsOf = (owners: ReadonlyMap<string, string>, m: Member): Set<string> => new Set([...owners].filter(([, peer]) => peer === m.peerId).map(([room]) => room))

      /** SIGTERM, then the drain line (the node's histogram scraped as it is logged: the node lingers
       * 300 ms or more before it stops its admin server; not before, but every SCRAPE_EVERY_MS of a
       * long drain) and the exit. */
      const drain = async (m: Member): Promise<DrainResult> => {
        const node = m.node
        const before = await scrape(node)
        let last = before
        const wall = Date.now()
        const sigtermAt = performance.now()
        let exitAt = 0
        const exit = node.stop('SIGTERM', EXIT_MS).finally(() => { exitAt = performance.now() })
        const lineOf = (): Record<string, unknown> | undefined => node.logs.find((l) => typeof l.msg === 'string' && /^drain: \d+ entities moved/.test(l.msg))
        let scrapedAt = performance.now()
        while (exitAt === 0 && lineOf() === undefined) {
          if (performance.now() - scrapedAt > SCRAPE_EVERY_MS) {
            scrapedAt = performance.now()
            last = await scrape(node).catch(() => last)
          }
          await sleep(5)
        }
        const line = lineOf()
        if (line !== undefined) last = await scrape(node).catch(() => last)
        const { code } = await exit
        m.exited = true
        const outcomes = (line?.outcomes ?? {}) as Record<string, number>
        const triggers = movesBetween([before], [last])
        const counted = last.pause.count - before.pause.count
        if (line !== undefined && counted !== (outcomes.moved ?? 0)) {
          log(`  note: node ${m.name}'s pause histogram counted ${counted} live moves, its drain line ${outcomes.moved ?? 0} (the last scrape came before the last moves)`)
        }
        return {
          lineMs: line === undefined ? undefined : (line.time as number) - wall,
          exitMs: exitAt - sigtermAt,
          code,
          moved: (line?.moved as number | undefined) ?? 0,
          outcomes,
          before: before.pause,
          final: last.pause,
          triggers,
          sigtermAt,
          exitAt
        }
      }

      for (let i = 0; i < NODES; i++) {
        const dir = await tempDir('plexi-bench-migration-')
        dirs.push(dir)
        members.push(await boot(dir.path, String.fromCharCode(65 + i), members[0]?.p2p))
      }
      await settle('start')
      await until('every storage node to hold its partitions whole', async () => (await api<Array<{ catchUp: { partitions: number, caughtUp: number } | null }>>((members[0] as Member).node, '/storage'))
        .every((r) => r.catchUp !== null && r.catchUp.caughtUp === r.catchUp.partitions), SETTLE_MS)
      const first = members[0] as Member
      const added = await runCli(['admin', 'users', 'add', 'bench', '--json', '--no-save', '--admin-addr', first.node.admin, '--data-dir', first.dir])
      if (added.code !== 0) throw new Error(`bench: users add failed: ${added.stderr}`)
      const token = (JSON.parse(added.stdout) as { token: string }).token
      log(`  ${NODES} nodes up (chat,storage; R=3 W=2): ${members.map((m) => `${m.name} ${m.peerId.slice(-6)}`).join(', ')}`)

      // the load: every room active before the clock starts
      clients = new Clients(token)
      const cl = clients
      const rotation = new Set<Member>(members)
      const gateways = (): string[] => [...rotation].map((m) => m.node.grpc)
      const baseRooms = Array.from({ length: roomCount }, (_, i) => `mv-${i}`)
      await Promise.all(baseRooms.map(async (room, i) => await cl.of((members[i % NODES] as Member).node.grpc).call('Post', { room, text: 'warm' })))
      let turn = 0
      load = new Load(cl, gateways, () => baseRooms[turn++ % baseRooms.length] as string)
      const ld = load
      log(`  load: ${SENDERS} senders, each a post at a time and at most one every ${SEND_INTERVAL_MS} ms, into ${roomCount} rooms, through every node in the rotation`)

      // ---- 1. steady state ---------------------------------------------------------------------
      await sleep(2_000) // warm-up, not counted
      const steadyFrom = performance.now()
      await sleep(steadyMs)
      const steadyTo = performance.now()
      const steady = ld.latencies((p) => p.start >= steadyFrom && p.start < steadyTo)
      log(`  steady state, ${(steadyMs / 1000).toFixed(0)} s: ${describeLatencies(steady)}; client errors: ${describeErrors(ld.errorsBetween(steadyFrom, steadyTo))}`)

      // ---- 2. rolling restart ------------------------------------------------------------------
      /** Each live process's pause histogram when its part of the phase began. */
      const startOf = new Map<NodeProcess, Histogram>()
      for (const m of members) startOf.set(m.node, (await scrape(m.node)).pause)
      let rollingPauses = EMPTY
      let drainPauses = EMPTY
      const moveWindows: Array<{ from: number, to: number, rooms: ReadonlySet<string> }> = []
      const rollingFrom = performance.now()
      const rollingWall = Date.now()
      for (const m of members) {
        const owned = roomsOf(await roomOwners(), m)
        rotation.delete(m)
        const d = await drain(m)
        rollingPauses = combine(rollingPauses, combine(d.final, startOf.get(m.node) ?? EMPTY, -1), 1)
        const drained = combine(d.final, d.before, -1)
        drainPauses = combine(drainPauses, drained, 1)
        moveWindows.push({ from: d.sigtermAt, to: d.exitAt, rooms: owned })
        log(`  node ${m.name}: SIGTERM → drain line ${d.lineMs?.toFixed(0) ?? '(none)'} ms → exit ${d.exitMs.toFixed(0)} ms (code ${String(d.code)}); ${d.moved} entities moved ${JSON.stringify(d.outcomes)}, by trigger ${JSON.stringify(d.triggers)}; pauses: ${drained.count > 0 ? describeHistogram(drained) : 'none'}`)
        if (d.code !== 0) throw new Error(`bench: node ${m.name} exited with ${String(d.code)} after SIGTERM`)
        const others = live()
        const othersBefore = await Promise.all(others.map(async (o) => await scrape(o.node)))
        await restart(m)
        startOf.set(m.node, EMPTY)
        await settle(`node ${m.name} back`, baseRooms)
        const settledAt = performance.now()
        const back = roomsOf(await roomOwners(), m)
        moveWindows.push({ from: m.readyAt, to: settledAt, rooms: back })
        const othersAfter = await Promise.all(others.map(async (o) => await scrape(o.node)))
        const returned = othersAfter.reduce((h, after, i) => combine(h, combine(after.pause, (othersBefore[i] as Scrape).pause, -1), 1), EMPTY)
        log(`  node ${m.name}: ready again, settled ${(settledAt - m.readyAt).toFixed(0)} ms later; ${back.size} rooms on it again, moved by trigger ${JSON.stringify(movesBetween(othersBefore, othersAfter))}; pauses: ${returned.count > 0 ? describeHistogram(returned) : 'none'}`)
        rotation.add(m)
      }
      const rollingTo = performance.now()
      for (const m of live()) rollingPauses = combine(rollingPauses, combine((await scrape(m.node)).pause, startOf.get(m.node) ?? EMPTY, -1), 1)
      const rolling = ld.latencies((p) => p.start >= rollingFrom && p.start < rollingTo)
      const rollingErrors = ld.errorsBetween(rollingFrom, rollingTo)
      const moving = ld.latencies((p) => moveWindows.some((w) => w.rooms.has(p.room) && p.start < w.to && p.end > w.from))
      log(`  rolling restart, ${((rollingTo - rollingFrom) / 1000).toFixed(1)} s: ${describeLatencies(rolling)}; client errors: ${describeErrors(rollingErrors)}`)
      log(`  posts to rooms while they moved: ${describeLatencies(moving)}`)
      log(`  live moves: all ${describeHistogram(rollingPauses)}; drains ${describeHistogram(drainPauses)}`)
      log(`  rolling restart, the nodes' warnings: ${describeWarnings(members, rollingWall)}`)
      for (const line of errorLines(members, rollingWall)) log(`  ${line}`)

      // ---- 3. cold moves -----------------------------------------------------------------------
      const victim = members[NODES - 1] as Member
      const victimRooms = [...roomsOf(await roomOwners(), victim)].filter((r) => baseRooms.includes(r))
      rotation.delete(victim)
      await until(`posts through node ${victim.name} answered`, async () => (ld.inFlight.get(victim.node.grpc) ?? 0) === 0, 20_000, 5)
      const killAt = performance.now()
      const killWall = Date.now()
      await victim.node.stop('SIGKILL', 10_000)
      victim.exited = true
      const cold = await Promise.all(victimRooms.map(async (room, i) => {
        const via = gateways()
        const client = cl.of(via[i % via.length] as string)
        const clientId = randomUUID()
        while (performance.now() - killAt < COLD_LIMIT_MS) {
          try {
            await client.call('Post', { room, text: 'probe', clientId })
            return performance.now() - killAt
          } catch {
            await sleep(COLD_RETRY_MS)
          }
        }
        return COLD_LIMIT_MS
      }))
      for (const m of live()) await until(`node ${m.name} to see ${victim.name} down`, async () => (await api<Array<{ peerId: string, status: string }>>(m.node, '/nodes')).some((n) => n.peerId === victim.peerId && n.status === 'down'), SETTLE_MS)
      await sleep(1_000)
      const killErrors = ld.errorsBetween(killAt, performance.now())
      if (cold.length === 0) throw new Error(`bench: node ${victim.name} held none of the load's rooms when it was killed (placement did not settle?)`)
      log(`  cold: node ${victim.name} SIGKILLed; its ${cold.length} rooms took posts again after p50 ${percentile(cold, 50).toFixed(0)} ms, p99 ${percentile(cold, 99).toFixed(0)} ms, max ${Math.max(...cold).toFixed(0)} ms; client errors: ${killErrors.length} (${describeErrors(killErrors)})`)
      log(`  cold, the nodes' warnings: ${describeWarnings(members, killWall)}`)
      for (const line of errorLines(members, killWall)) log(`  ${line}`)

      // ---- 4. drain of a node holding ENTITIES rooms -------------------------------------------
      const bigFromWall = Date.now()
      await restart(victim, ['--capacity', String(BIG_CAPACITY)])
      await settle(`node ${victim.name} back with capacity ${BIG_CAPACITY}`)
      const primeFrom = performance.now()
      let primed = 0
      let primeErrors = 0
      let held = (await scrape(victim.node)).rooms
      const maxRooms = Math.ceil(entities * PRIME_ROOMS_FACTOR)
      // a few over: one that passivates before the SIGTERM leaves the count at ENTITIES
      const target = entities + PRIME_MARGIN
      while (held < target && primed < maxRooms) {
        const chunk = Math.min(1_000, maxRooms - primed, target - held)
        const from = primed
        let nextRoom = from
        await Promise.all(Array.from({ length: Math.min(PRIME_IN_FLIGHT, chunk) }, async (_, lane) => {
          for (let r = nextRoom++; r < from + chunk; r = nextRoom++) {
            const via = gateways()
            try {
              await cl.of(via[(lane + r) % via.length] as string).call('Post', { room: `big-${r}`, text: 'first', clientId: randomUUID() })
            } catch {
              primeErrors++
            }
          }
        }))
        primed += chunk
        held = (await scrape(victim.node)).rooms
      }
      const primeMs = performance.now() - primeFrom
      log(`  drain: node ${victim.name} holds ${held} rooms after one post to each of ${primed} new rooms in ${(primeMs / 1000).toFixed(1)} s (${primeErrors} posts failed)`)
      if (primeMs > PRIME_WARN_MS) log(`  note: the priming took over ${PRIME_WARN_MS / 1000} s; rooms idle for 2 min passivate, so some may have before the drain`)
      const bigRooms = [...roomsOf(await roomOwners(), victim)]
      if (bigRooms.length === 0) throw new Error(`bench: node ${victim.name} holds none of the ${primed} rooms primed (placement did not give it its share?)`)
      let bigTurn = 0
      ld.room = () => bigRooms[(bigTurn++ * 7919) % bigRooms.length] as string
      await sleep(1_000)
      const heldAtSigterm = (await scrape(victim.node)).rooms
      const bigWall = Date.now()
      const big = await drain(victim)
      await sleep(2_000)
      const bigErrors = ld.errorsBetween(big.sigtermAt, big.exitAt + 2_000)
      const bigPosts = ld.latencies((p) => p.start < big.exitAt && p.end > big.sigtermAt)
      const bigPauses = combine(big.final, big.before, -1)
      log(`  drain of node ${victim.name} (${heldAtSigterm} rooms): SIGTERM → drain line ${big.lineMs?.toFixed(0) ?? '(none)'} ms → exit ${big.exitMs.toFixed(0)} ms (code ${String(big.code)}); ${big.moved} entities moved ${JSON.stringify(big.outcomes)}, by trigger ${JSON.stringify(big.triggers)}`)
      log(`  drain of node ${victim.name}: posts in flight during it: ${describeLatencies(bigPosts)}; client errors: ${describeErrors(bigErrors)}; pauses: ${bigPauses.count > 0 ? describeHistogram(bigPauses) : 'none'}`)
      log(`  drain of node ${victim.name}, the nodes' warnings: ${describeWarnings(members, bigWall)}`)
      for (const line of errorLines(members, bigFromWall)) log(`  ${line}`)

      // ---- the figures -------------------------------------------------------------------------
      const coldName = (p: number): string => `cold move p${p}: owner SIGKILLed, until its room takes a post again (failure detection + recovery from the journal)`
      add(figure('live move pause p50, rolling restart under chat load (old owners\' plexi_migration_pause_seconds)', 'ms (lower is better)', quantileMs(rollingPauses, 0.5), coldName(50), percentile(cold, 50)))
      add(figure('live move pause p99, rolling restart under chat load', 'ms (lower is better)', quantileMs(rollingPauses, 0.99), coldName(99), percentile(cold, 99), '<= 50 ms'))
      add(figure('live move pause p99, of those the drains only (SIGTERM)', 'ms (lower is better)', quantileMs(drainPauses, 0.99), coldName(99), percentile(cold, 99), '<= 50 ms'))
      add(figure('post ack p99 of posts to rooms while they moved', 'ms (lower is better)', percentile(moving, 99), 'steady-state post ack p99, same clients, before any move', percentile(steady, 99)))
      add(figure(`rolling restart of ${NODES} nodes: client errors`, 'errors', rollingErrors.length, 'client errors, same load, after SIGKILL of one node', killErrors.length, '0'))
      add(figure(`rolling restart of ${NODES} nodes: post ack p99`, 'ms (lower is better)', percentile(rolling, 99), 'steady-state post ack p99, same clients, before', percentile(steady, 99)))
      const bigName = `drain of a node holding ${heldAtSigterm.toLocaleString('en-US')} rooms`
      const primeName = `first activation of the ${primed.toLocaleString('en-US')} rooms: one post each, ${PRIME_IN_FLIGHT} in flight (each also registers in the room directory)`
      if (big.lineMs !== undefined) add(figure(`${bigName}: SIGTERM → drain line`, 's (lower is better)', big.lineMs / 1000, primeName, primeMs / 1000))
      add(figure(`${bigName}: SIGTERM → exit`, 's (lower is better)', big.exitMs / 1000, primeName, primeMs / 1000))
      add(figure(`${bigName}: entities moved live`, 'entities', big.outcomes.moved ?? 0, 'rooms it held at SIGTERM', heldAtSigterm, 'all'))
      add(figure(`${bigName}: client errors`, 'errors', bigErrors.length, 'client errors, same load, after SIGKILL of one node', killErrors.length, '0'))
      add(figure(`${bigName}: live move pause p99`, 'ms (lower is better)', quantileMs(bigPauses, 0.99), coldName(99), percentile(cold, 99)))
      return figures
    } finally {
      await load?.stop()
      clients?.close()
      for (const n of [...running]) await n.stop('SIGKILL', 10_000).catch(() => undefined)
      for (const d of dirs) await d.remove()
    }
  }
}
