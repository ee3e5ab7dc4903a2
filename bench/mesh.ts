/**
 * Remote request/response between two OS processes: round trips per second and p50/p99 latency at
 * 64 and at 1024 requests in flight, for every contender in the same run, interleaved.
 *
 * - moleculer: Moleculer 0.14 request/response on its TCP transporter (loopback, no UDP
 *   discovery, JSON serializer, logger off): `echo.echo` returns its params.
 * - raw-libp2p: the raw stack ceiling: Plexi's libp2p stack (tcp + noise + yamux + pnet), one
 *   long-lived stream, length-prefixed msgpackr frames, batched per event-loop turn (at most 64
 *   envelopes a frame) on both sides with the write policy of Plexi's transport (several frames
 *   per write, an early write under a light load), honouring backpressure (the stream's `drain`
 *   event): the same wire without the actor system.
 * - plexi ("ours"): remote asks between two Plexi nodes (bench/fixtures/mesh-plexi-node.ts:
 *   P2pHost + ActorSystem + Cluster, i.e. the actor transport on `/plexi/actor/1.0.0`): the client
 *   node asks `system.actorAt({ node: server, path: '/echo' })`, the server's echo actor replies
 *   with the payload; see runPlexi below. (Skipped, with a note, if its fixtures are stubs.)
 *
 * Every contender is a pair of fixture processes following one protocol (bench/fixtures/
 * mesh-harness.ts): `mesh-<name>-server.ts` prints `{"ready":true,"address":"..."}`, and for each
 * measurement a fresh `mesh-<name>-client.ts --address A --concurrency N --duration-ms MS
 * --warmup-ms MS --cluster-key PATH` runs a closed loop and prints its result line. Servers live
 * for the whole run; each round runs every contender once, in an order rotated round by round.
 *
 * Then, once: cross-node chat. Two real `plexi node start --role all` processes joined in one
 * cluster (A, and B with --join A), a room whose owner is A, one subscriber on B and one on A,
 * posts from a client of A at a bounded rate; post→deliver latency at B (the room's feed crosses
 * the mesh to B's chat gateway) against the same posts' latency at A's subscriber (no mesh hop),
 * measured together. See runChatCrossNode below.
 *
 * Env: PLEXI_BENCH_SECONDS (measured seconds per client run, default 2), PLEXI_BENCH_ROUNDS
 * (default 3), PLEXI_BENCH_WARMUP_MS (default 500), PLEXI_BENCH_CHAT_POSTS (measured cross-node
 * chat posts, default 2000), PLEXI_BENCH_CHAT_RATE (their rate, posts/s, default 200).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { generateKey } from '@libp2p/pnet'
import { chatClient, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { collector, envNumber, figure, median, percentile } from './figure.ts'
import type { Bench, Figure } from './figure.ts'
import { NOT_WRITTEN } from './fixtures/mesh-harness.ts'
import type { ClientResult } from './fixtures/mesh-harness.ts'

const CONCURRENCIES = [64, 1024] as const
const GOALS: Record<number, string> = { 64: '>= 1.0', 1024: '>= 2.0' }
const SERVER_READY_MS = 30_000
const CLIENT_SLACK_MS = 30_000
const STOP_GRACE_MS = 3_000


type ContenderName = 'moleculer' | 'raw-libp2p' | 'plexi'
const MOLECULER_LABEL = 'Moleculer 0.14 TCP transporter (JSON)'

/** A fixture said it is the "not written yet" stub. */
class NotWrittenError extends Error {
  override readonly name = 'NotWrittenError'
}

/** Children still running, killed by pid if the bench process exits without stopping them. */
const live = new Set<ChildProcess>()
let exitHook = false
function track (child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => { live.delete(child) })
  if (!exitHook) {
    exitHook = true
    process.once('exit', () => { for (const c of live) kill(c, 'SIGKILL') })
  }
}

function kill (child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try { process.kill(child.pid, signal) } catch { /* already gone */ }
}

interface Fixture {
  readonly child: ChildProcess
  /** Resolves with the first stdout JSON line that `accept` takes, or rejects on exit/timeout. */
  line<T> (accept: (obj: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<T>
  /** Resolves when the process has exited (at once if it already has). */
  exited (): Promise<void>
  stderrTail (): string
}

function startFixture (file: string, args: readonly string[]): Fixture {
  const script = fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url))
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  const lines: Array<Record<string, unknown>> = []
  const listeners = new Set<() => void>()
  const notify = (): void => { for (const l of [...listeners]) l() }
  let stdoutRest = ''
  let stderr = ''
  let spawnError: Error | undefined
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    const parts = (stdoutRest + chunk).split('\n')
    stdoutRest = parts.pop() ?? ''
    for (const part of parts) {
      const text = part.trim()
      if (!text.startsWith('{')) continue
      try { lines.push(JSON.parse(text) as Record<string, unknown>) } catch { /* not ours */ }
    }
    notify()
  })
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4000) })
  child.on('error', (err) => { spawnError = err; notify() })
  child.on('exit', notify)
  const done = (): boolean => child.exitCode !== null || child.signalCode !== null || spawnError !== undefined
  const exitText = (): string => spawnError !== undefined
    ? `could not start (${spawnError.message})`
    : `exited (code ${String(child.exitCode)}, signal ${String(child.signalCode)})`
  return {
    child,
    line: <T>(accept: (obj: Record<string, unknown>) => boolean, timeoutMs: number, what: string) => new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(accept)
        // a stub or a failing fixture prints an error line and exits: surface it
        const failed = lines.find((l) => l.ready === false || l.ok === false)
        if (found !== undefined) finish(() => { resolve(found as T) })
        else if (failed !== undefined && String(failed.error).includes(NOT_WRITTEN)) finish(() => { reject(new NotWrittenError(`${file}: ${NOT_WRITTEN}`)) })
        else if (failed !== undefined) finish(() => { reject(new Error(`${file}: ${String(failed.error)}\n${stderr}`)) })
        else if (done()) finish(() => { reject(new Error(`${file} ${exitText()} before ${what}\n${stderr}`)) })
      }
      const timer = setTimeout(() => { finish(() => { reject(new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what} from ${file}\n${stderr}`)) }) }, timeoutMs)
      const finish = (settle: () => void): void => {
        clearTimeout(timer)
        listeners.delete(check)
        settle()
      }
      listeners.add(check)
      check()
    }),
    exited: () => new Promise<void>((resolve) => {
      if (done()) { resolve(); return }
      child.once('exit', () => { resolve() })
      child.once('error', () => { resolve() })
    }),
    stderrTail: () => stderr
  }
}

interface Server {
  readonly name: ContenderName
  readonly address: string
  stop (): Promise<void>
}

async function startServer (name: ContenderName, clusterKey: string): Promise<Server> {
  const fixture = startFixture(`mesh-${name}-server.ts`, ['--cluster-key', clusterKey])
  try {
    const ready = await fixture.line<{ address: string }>((l) => l.ready === true && typeof l.address === 'string', SERVER_READY_MS, 'the ready line')
    return {
      name,
      address: ready.address,
      stop: async () => {
        kill(fixture.child, 'SIGTERM')
        const timer = setTimeout(() => { kill(fixture.child, 'SIGKILL') }, STOP_GRACE_MS)
        await fixture.exited()
        clearTimeout(timer)
      }
    }
  } catch (err) {
    kill(fixture.child, 'SIGKILL')
    throw err
  }
}

interface Settings {
  readonly clusterKey: string
  readonly durationMs: number
  readonly warmupMs: number
}

/** The servers of this run (started in `run`) and its settings. */
const servers = new Map<ContenderName, Server>()
let settings: Settings | undefined

/** One client process against the contender's server: its result line. `durationMs` defaults to
 * the run's (the unmeasured warm-up run passes a shorter one). */
async function runClient (name: ContenderName, concurrency: number, durationMs?: number): Promise<ClientResult> {
  const server = servers.get(name)
  if (server === undefined || settings === undefined) throw new Error(`bench: no ${name} server running`)
  const measureMs = durationMs ?? settings.durationMs
  const fixture = startFixture(`mesh-${name}-client.ts`, [
    '--address', server.address,
    '--concurrency', String(concurrency),
    '--duration-ms', String(measureMs),
    '--warmup-ms', String(settings.warmupMs),
    '--cluster-key', settings.clusterKey
  ])
  try {
    const result = await fixture.line<ClientResult>((l) => l.ok === true, settings.warmupMs + measureMs + CLIENT_SLACK_MS, 'the result line')
    if (!(result.rps > 0) || !Number.isFinite(result.p99Ms)) throw new Error(`bench: ${name} client reported no round trips: ${JSON.stringify(result)}`)
    return result
  } finally {
    // the client exits by itself after its result line; it gets a moment, then is killed
    const timer = setTimeout(() => { kill(fixture.child, 'SIGKILL') }, STOP_GRACE_MS)
    await fixture.exited()
    clearTimeout(timer)
    // how the server looked to the client's failure detector under the load (plexi only)
    const heartbeat = /server seen suspect in \d+ and down in \d+ of \d+ samples[^\n]*/.exec(fixture.stderrTail())?.[0]
    if (heartbeat !== undefined) heartbeats.push(`${concurrency} in flight: ${heartbeat}`)
  }
}

/** The plexi clients' failure-detector samples of the run, printed at its end. */
const heartbeats: string[] = []

async function runMoleculer (concurrency: number, durationMs?: number): Promise<ClientResult> {
  return await runClient('moleculer', concurrency, durationMs)
}

async function runRawLibp2p (concurrency: number, durationMs?: number): Promise<ClientResult> {
  return await runClient('raw-libp2p', concurrency, durationMs)
}

// ============================================================================================
// OURS. runPlexi: one measurement of Plexi remote asks at `concurrency` in flight (for
// `durationMs`, default the run's), through the same harness as the others: bench/fixtures/mesh-plexi-server.ts (started once per run, in
// `run` below) and a fresh bench/fixtures/mesh-plexi-client.ts per measurement. While either
// fixture is the stub it throws NotWrittenError and the bench leaves the plexi rows out.
// ============================================================================================
async function runPlexi (concurrency: number, durationMs?: number): Promise<ClientResult> {
  return await runClient('plexi', concurrency, durationMs)
}

const RUNNERS: Record<ContenderName, (concurrency: number, durationMs?: number) => Promise<ClientResult>> = {
  moleculer: runMoleculer,
  'raw-libp2p': runRawLibp2p,
  plexi: runPlexi
}

interface Summary { rps: number, p50Ms: number, p99Ms: number, clientCpuUs?: number }

function summarise (results: readonly ClientResult[]): Summary {
  const cpu = results.flatMap((r) => r.clientCpuUs === undefined ? [] : [r.clientCpuUs])
  return {
    rps: median(results.map((r) => r.rps)),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    ...(cpu.length > 0 && { clientCpuUs: median(cpu) })
  }
}

function describe (r: Summary): string {
  const cpu = r.clientCpuUs === undefined ? '' : `, client CPU ${r.clientCpuUs.toFixed(1)} µs per round trip`
  return `${Math.round(r.rps).toLocaleString('en-US')} round trips/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${cpu}`
}

// ============================================================================================
// Cross-node chat: post→deliver when the subscriber is on another node than the room.
// ============================================================================================

/** Unmeasured posts first (JIT, the gateways' subscriptions, the mesh links). */
const CHAT_WARMUP_POSTS = 200
/** Posts a client of A may have waiting for their ack before the pacing holds back. */
const CHAT_MAX_IN_FLIGHT = 256
const NODE_READY_MS = 30_000
const CLUSTER_UP_MS = 30_000
const CHAT_DELIVERY_SLACK_MS = 30_000
/** Rooms tried before giving up on finding one that A owns (each is A's with probability 1/2). */
const ROOM_TRIES = 40
const CHAT_TEXT = 'a chat message of about eighty bytes, which is what a typical chat line weighs..'

/** Node processes still running, killed by pid if the bench process exits without stopping them. */
const nodePids = new Set<number>()
let nodeExitHook = false
function trackNode (node: NodeProcess): void {
  nodePids.add(node.pid)
  void node.exited.then(() => { nodePids.delete(node.pid) })
  if (!nodeExitHook) {
    nodeExitHook = true
    process.once('exit', () => { for (const pid of nodePids) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } } })
  }
}

/** Rejects after `ms`: every wait of the bench is bounded. */
function bounded<T> (promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`bench: timed out after ${ms} ms waiting for ${what}`)) }, ms)
  })
  return Promise.race([promise, expired]).finally(() => { clearTimeout(timer) })
}

/** Polls `check` every `interval` ms until it holds; rejects after `ms`, or with `check`'s error. */
async function until (check: () => Promise<boolean>, what: string, ms: number, interval = 100): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() >= deadline) throw new Error(`bench: timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
}

/** plexi_entities_superseded_total summed over `nodes`: activations a newer owner took. */
async function supersededTotal (nodes: readonly NodeProcess[]): Promise<number> {
  let sum = 0
  for (const node of nodes) {
    const res = await fetch(`http://${node.admin}/metrics`, { headers: { authorization: `Bearer ${node.adminToken}` }, signal: AbortSignal.timeout(10_000) })
    const line = (await res.text()).split('\n').find((l) => l.startsWith('plexi_entities_superseded_total'))
    sum += Number(line?.split(' ').at(-1) ?? 0)
  }
  return sum
}

/** Placement view changes the nodes have logged so far. */
function viewChanges (nodes: readonly NodeProcess[]): number {
  return nodes.reduce((sum, node) => sum + node.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('placement view changed')).length, 0)
}

async function adminGet<T> (node: NodeProcess, path: string): Promise<T> {
  const res = await fetch(`http://${node.admin}/api/v1${path}`, { headers: { authorization: `Bearer ${node.adminToken}` }, signal: AbortSignal.timeout(10_000) })
  if (!res.ok) throw new Error(`bench: GET ${path} on ${node.admin}: HTTP ${res.status} ${await res.text()}`)
  return await res.json() as T
}

async function addUser (node: NodeProcess, name: string): Promise<string> {
  const res = await fetch(`http://${node.admin}/api/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
    signal: AbortSignal.timeout(10_000)
  })
  if (res.status !== 201) throw new Error(`bench: adding user ${name}: HTTP ${res.status} ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}

type ChatClient = ReturnType<typeof chatClient>

/** A subscriber that notes, for each post text it is waiting for, when it arrived. */
function arrivals (client: ChatClient, room: string, after: number): { live: Promise<void>, at: Map<string, number>, failed: () => Error | undefined, cancel: () => void } {
  const at = new Map<string, number>()
  let failure: Error | undefined
  let cancelled = false
  let markLive!: () => void
  let markFailed!: (err: Error) => void
  const live = new Promise<void>((resolve, reject) => { markLive = resolve; markFailed = reject })
  const stream = client.subscribe(room, after)
  stream.on('data', (event) => {
    if (event.message !== undefined && event.message !== null) at.set(event.message.text, performance.now())
    else if (event.live !== undefined && event.live !== null) markLive()
  })
  stream.on('error', (err: grpc.ServiceError) => {
    if (cancelled && err.code === grpc.status.CANCELLED) return
    failure = new Error(`bench: Subscribe stream of room ${room} ended: ${err.message}`)
    markFailed(failure)
  })
  return { live, at, failed: () => failure, cancel: () => { cancelled = true; stream.cancel() } }
}

/**
 * Two Plexi node processes in one cluster; a room owned by A; subscribers on B (cross-node) and on
 * A (same node, the baseline); `posts` posts from a client of A at `rate` posts/s (open loop, at
 * most CHAT_MAX_IN_FLIGHT waiting for acks). Latency of each post at each subscriber: from the
 * Post call to the message arriving on that subscriber's stream.
 */
async function runChatCrossNode (log: (line: string) => void, clusterKey: string, dir: string, posts: number, rate: number): Promise<Figure[]> {
  const nodes: NodeProcess[] = []
  const clients: ChatClient[] = []
  const feeds: Array<{ cancel: () => void }> = []
  try {
    const p2p = ['--cluster-key-file', clusterKey, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--chat-rate', '100000', '--chat-burst', '100000']
    const a = await startNodeProcess(join(dir, 'node-a'), p2p, NODE_READY_MS)
    nodes.push(a)
    trackNode(a)
    const ready = a.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    const address = (ready?.p2p as string[] | undefined)?.[0]
    if (address === undefined) throw new Error(`bench: node A printed no p2p address: ${JSON.stringify(ready)}`)
    const b = await startNodeProcess(join(dir, 'node-b'), [...p2p, '--join', address], NODE_READY_MS)
    nodes.push(b)
    trackNode(b)
    type ClusterView = { self: { peerId: string }, members: Array<{ peerId: string, status: string }> }
    const bothUp = async (node: NodeProcess): Promise<boolean> =>
      await adminGet<ClusterView>(node, '/cluster').then((c) => c.members.filter((m) => m.status === 'up').length === 2, () => false)
    await until(async () => await bothUp(a) && await bothUp(b), 'both nodes to see each other up', CLUSTER_UP_MS)
    const aPeer = (await adminGet<ClusterView>(a, '/cluster')).self.peerId
    const bPeer = (await adminGet<ClusterView>(b, '/cluster')).self.peerId
    log(`  chat: node A ${aPeer} and node B ${bPeer} joined`)

    const poster = chatClient(a.grpc, await addUser(a, 'alice'))
    const readerB = chatClient(b.grpc, await addUser(a, 'bob'))
    const readerA = chatClient(a.grpc, await addUser(a, 'carol'))
    clients.push(poster, readerB, readerA)

    // a room whose owner is A: post once, ask where it lives
    let room: string | undefined
    let lastSeq = 0
    for (let i = 0; i < ROOM_TRIES && room === undefined; i++) {
      const name = `cross-${i}`
      const ack = await poster.call<{ seq: number }>('Post', { room: name, text: 'hello' })
      const row = await adminGet<{ node: string }>(a, `/actors/room/${name}`)
      if (row.node === aPeer) {
        room = name
        lastSeq = ack.seq
      }
    }
    if (room === undefined) throw new Error(`bench: none of ${ROOM_TRIES} rooms is owned by node A`)
    log(`  chat: room ${room} lives on node A; subscribers on B (measured) and on A (baseline)`)

    const onB = arrivals(readerB, room, lastSeq)
    const onA = arrivals(readerA, room, lastSeq)
    feeds.push(onB, onA)
    await bounded(Promise.all([onB.live, onA.live]), 'both subscriptions to be live', 20_000)

    // owner changes under steady load: every fence of a live activation stops it (superseded), and
    // every view change may move rooms; a steady cluster has neither
    const steadyFrom = { superseded: await supersededTotal(nodes), views: viewChanges(nodes), at: performance.now() }
    const total = CHAT_WARMUP_POSTS + posts
    const sent = new Map<string, number>()
    const ackMs: number[] = []
    let inFlight = 0
    let failed: unknown
    let slot: (() => void) | undefined
    const interval = 1000 / rate
    const begin = performance.now()
    for (let i = 0; i < total && failed === undefined; i++) {
      const due = begin + i * interval
      const wait = due - performance.now()
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
      if (inFlight >= CHAT_MAX_IN_FLIGHT) await bounded(new Promise<void>((resolve) => { slot = resolve }), 'a post ack (in-flight bound)', 30_000)
      const text = `${i < CHAT_WARMUP_POSTS ? 'warm' : 'post'} ${i} ${CHAT_TEXT}`
      const t0 = performance.now()
      sent.set(text, t0)
      inFlight++
      poster.call<{ seq: number }>('Post', { room, text }).then(() => { if (i >= CHAT_WARMUP_POSTS) ackMs.push(performance.now() - t0) }, (err: unknown) => { failed ??= err }).finally(() => {
        inFlight--
        const next = slot
        slot = undefined
        next?.()
      })
      const broken = onB.failed() ?? onA.failed()
      if (broken !== undefined) throw broken
    }
    if (failed !== undefined) throw failed
    const postedIn = performance.now() - begin
    await until(async () => {
      const broken = onB.failed() ?? onA.failed()
      if (broken !== undefined) throw broken
      return inFlight === 0 && [...sent.keys()].every((t) => onB.at.has(t) && onA.at.has(t))
    }, 'every post to reach both subscribers', CHAT_DELIVERY_SLACK_MS, 20)
    if (failed !== undefined) throw failed

    const latencies = (feed: { at: Map<string, number> }): number[] => [...sent].filter(([t]) => t.startsWith('post ')).map(([t, t0]) => (feed.at.get(t) as number) - t0)
    const cross = latencies(onB)
    const same = latencies(onA)
    log(`  chat: ${posts} posts (+ ${CHAT_WARMUP_POSTS} warm-up) at ${rate}/s in ${(postedIn / 1000).toFixed(1)} s; post ack p50 ${percentile(ackMs, 50).toFixed(2)} ms, p99 ${percentile(ackMs, 99).toFixed(2)} ms`)
    log(`  chat: post→deliver on B (cross-node) p50 ${percentile(cross, 50).toFixed(2)} ms, p99 ${percentile(cross, 99).toFixed(2)} ms; on A (same node) p50 ${percentile(same, 50).toFixed(2)} ms, p99 ${percentile(same, 99).toFixed(2)} ms`)
    const minutes = (performance.now() - steadyFrom.at) / 60_000
    const ownerChanges = (await supersededTotal(nodes)) - steadyFrom.superseded
    const viewChangesSeen = viewChanges(nodes) - steadyFrom.views
    log(`  chat: ${ownerChanges} owner changes (superseded activations) and ${viewChangesSeen} view changes in ${(minutes * 60).toFixed(0)} s of steady load`)
    const baselineName = (p: number): string => `same-node post→deliver p${p} (subscriber on the room's node), same posts`
    return [
      figure('chat-cross-node-p50', 'ms (lower is better)', percentile(cross, 50), baselineName(50), percentile(same, 50)),
      figure('chat-cross-node-p99', 'ms (lower is better)', percentile(cross, 99), baselineName(99), percentile(same, 99)),
      figure('room owner changes per room per minute, steady load', 'changes (lower is better)', ownerChanges / minutes, 'view changes per minute in the same run', viewChangesSeen / minutes, '0')
    ]
  } finally {
    for (const feed of feeds) feed.cancel()
    for (const client of clients) client.close()
    for (const node of nodes.reverse()) {
      await node.stop('SIGTERM', 15_000).catch(() => { try { process.kill(node.pid, 'SIGKILL') } catch { /* gone */ } })
    }
  }
}

export const meshBench: Bench = {
  name: 'mesh',
  description: 'remote request/response between 2 processes at 64/1024 in flight: Plexi asks and raw libp2p vs Moleculer TCP; cross-node chat post→deliver',
  async run (log) {
    const { figures, add } = collector(log)
    const durationMs = Math.round(envNumber('PLEXI_BENCH_SECONDS', 2) * 1000)
    const rounds = Math.round(envNumber('PLEXI_BENCH_ROUNDS', 3))
    const warmupMs = Math.round(envNumber('PLEXI_BENCH_WARMUP_MS', 500))
    const dir = await mkdtemp(join(tmpdir(), 'plexi-bench-mesh-'))
    try {
      const psk = new Uint8Array(95)
      generateKey(psk)
      const clusterKey = join(dir, 'swarm.key')
      await writeFile(clusterKey, psk, { mode: 0o600 })
      settings = { clusterKey, durationMs, warmupMs }
      log(`  ${rounds} interleaved rounds × ${durationMs / 1000} s measured (+ ${warmupMs} ms warm-up) per contender per concurrency`)

      const contenders: ContenderName[] = []
      for (const name of ['moleculer', 'raw-libp2p', 'plexi'] as const) {
        try {
          servers.set(name, await startServer(name, clusterKey))
          contenders.push(name)
          log(`  ${name} server ready at ${servers.get(name)?.address ?? '?'}`)
        } catch (err) {
          if (!(err instanceof NotWrittenError)) throw err
          log(`  note: ${err.message}: the plexi (ours) rows are skipped`)
        }
      }

      // one unmeasured run each first, so that no contender's first round pays for its server's
      // JIT warm-up
      for (const name of [...contenders]) {
        try {
          const result = await RUNNERS[name](CONCURRENCIES[0], warmupMs)
          log(`  warm-up, ${name}: ${describe(result)} (not counted)`)
        } catch (err) {
          if (!(err instanceof NotWrittenError)) throw err
          log(`  note: ${err.message}: the plexi (ours) rows are skipped`)
          contenders.splice(contenders.indexOf(name), 1)
        }
      }

      for (const concurrency of CONCURRENCIES) {
        const results = new Map<ContenderName, ClientResult[]>(contenders.map((c) => [c, []]))
        for (let round = 0; round < rounds; round++) {
          const order = contenders.map((_, i) => contenders[(i + round) % contenders.length] as ContenderName)
          for (const name of order) {
            if (!results.has(name)) continue // dropped this run (a stub)
            try {
              const result = await RUNNERS[name](concurrency)
              results.get(name)?.push(result)
              log(`  ${concurrency} in flight, round ${round + 1}/${rounds}, ${name}: ${describe(result)}`)
            } catch (err) {
              if (!(err instanceof NotWrittenError)) throw err
              log(`  note: ${err.message}: the plexi (ours) rows are skipped`)
              results.delete(name)
              contenders.splice(contenders.indexOf(name), 1)
            }
          }
        }
        const summary = new Map<ContenderName, Summary>([...results].map(([name, r]) => [name, summarise(r)]))
        for (const [name, s] of summary) log(`  ${concurrency} in flight, median, ${name}: ${describe(s)}`)
        const moleculer = summary.get('moleculer')
        const raw = summary.get('raw-libp2p')
        const plexi = summary.get('plexi')
        if (moleculer === undefined || raw === undefined) throw new Error('bench: the moleculer and raw-libp2p contenders must both run')
        add(figure(`raw-libp2p-${concurrency}`, 'round trips/s', raw.rps, MOLECULER_LABEL, moleculer.rps))
        add(figure(`raw-libp2p-${concurrency}-p99`, 'ms (lower is better)', raw.p99Ms, MOLECULER_LABEL, moleculer.p99Ms))
        if (plexi !== undefined) {
          add(figure(`ask-${concurrency}-vs-moleculer`, 'round trips/s', plexi.rps, MOLECULER_LABEL, moleculer.rps, GOALS[concurrency]))
          add(figure(`ask-${concurrency}-p99-vs-moleculer`, 'ms (lower is better)', plexi.p99Ms, MOLECULER_LABEL, moleculer.p99Ms))
          log(`  ${concurrency} in flight: ours is ${(plexi.rps / raw.rps).toFixed(2)}× the raw libp2p ceiling`)
        }
      }

      // the request/response servers are done: stop them before the chat nodes start
      await Promise.all([...servers.values()].map(async (s) => { await s.stop() }))
      servers.clear()
      const chatPosts = Math.round(envNumber('PLEXI_BENCH_CHAT_POSTS', 2000))
      const chatRate = envNumber('PLEXI_BENCH_CHAT_RATE', 200)
      for (const f of await runChatCrossNode(log, clusterKey, dir, chatPosts, chatRate)) add(f)
    } finally {
      await Promise.all([...servers.values()].map(async (s) => { await s.stop() }))
      servers.clear()
      settings = undefined
      for (const child of live) kill(child, 'SIGKILL')
      await rm(dir, { recursive: true, force: true })
    }
    for (const line of heartbeats.splice(0)) log(`  failure detector under load, ${line}`)
    return figures
  }
}
