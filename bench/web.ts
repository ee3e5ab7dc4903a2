/**
 * `npm run bench -- web` (issue 42): the same node's Chat service over gRPC-Web (the user
 * listener, node/web) beside gRPC (grpc-js), one process, measured in the same run, alternating
 * rounds so both see the same machine. Goals: a unary call's p50 <= 1.3x gRPC's; a Subscribe
 * stream's messages/s >= 0.8x gRPC's. The gRPC-Web client is the specs' (test/helpers/
 * grpc-web-client.ts: frames over Node's fetch, as a browser's fetch carries them); gRPC's is
 * grpc-js. Rate limits are lifted on the node (one client address, one user, as fast as it goes).
 * Then the chat page in Chromium on one node (web-page.ts: page ready, post -> shown in another
 * browser) and its failover on three nodes (web-failover.ts). BENCH_WEB_PARTS=page,failover runs
 * only those parts (grpc-web, memory, page, failover).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { chatClient, NO_RATE_LIMITS, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { GrpcWebClient } from '../test/helpers/grpc-web-client.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { figure, median } from './figure.ts'
import { rssOf } from './scale-memory.ts'
import { failoverFigures } from './web-failover.ts'
import { addUser, pageFigures, webUrlOf } from './web-page.ts'
import type { Bench, Figure } from './figure.ts'

/** Calls per side per round, rounds per figure: about 1,000 calls a side, a few seconds each. */
const CALLS = 200
const ROUNDS = 5
/** History a Subscribe catches up on (messages), per round. */
const HISTORY = 3_000
const STREAM_ROUNDS = 3

type Chat = ReturnType<typeof chatClient>

/** Subscriptions held open at once for the memory figure (issue 42's goal: <= 1.3x gRPC's), by
 * USERS users (a user may hold 64 on one node). */
const SUBSCRIPTIONS = 1_000
const USERS = 16
const MIB = 1024 * 1024

/** p50 of `n` sequential calls, in ms. */
async function p50 (n: number, call: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const began = performance.now()
    await call()
    times.push(performance.now() - began)
  }
  return median(times)
}

/** Messages/s of one Subscribe reading `count` messages of history, from its call to the last. */
async function grpcStream (chat: Chat, room: string, count: number): Promise<number> {
  const began = performance.now()
  const stream = chat.subscribe(room, 0)
  await new Promise<void>((resolve, reject) => {
    let seen = 0
    stream.on('data', (e: { message?: unknown }) => { if (e.message !== undefined && ++seen === count) resolve() })
    stream.on('error', (err: Error & { code?: number }) => { if (err.code !== 1) reject(err) })
  })
  const rate = count / ((performance.now() - began) / 1000)
  stream.cancel()
  return rate
}

async function webStream (web: GrpcWebClient, token: string, room: string, count: number): Promise<number> {
  const abort = new AbortController()
  const began = performance.now()
  let seen = 0
  try {
    for await (const e of web.stream('/plexi.chat.v1.Chat/Subscribe', { room, after: 0 }, { token, signal: abort.signal })) {
      if ((e as { message?: unknown }).message !== undefined && ++seen === count) break
    }
  } finally {
    abort.abort()
  }
  if (seen < count) throw new Error(`bench: the gRPC-Web Subscribe ended after ${seen} of ${count} messages`)
  return count / ((performance.now() - began) / 1000)
}

/** The parts of the bench, in the order they run; BENCH_WEB_PARTS (comma-separated) picks some. */
const PARTS = ['grpc-web', 'memory', 'page', 'failover'] as const
type Part = typeof PARTS[number]

function chosenParts (raw: string | undefined): readonly Part[] {
  if (raw === undefined || raw.trim() === '') return PARTS
  const named = raw.split(',').map((p) => p.trim())
  const unknown = named.filter((p) => !(PARTS as readonly string[]).includes(p))
  if (unknown.length > 0 || named.length === 0) throw new Error(`BENCH_WEB_PARTS: expected some of ${PARTS.join(', ')} (comma-separated), got ${JSON.stringify(raw)}`)
  return PARTS.filter((p) => named.includes(p))
}

export const webBench: Bench = {
  name: 'web',
  description: 'gRPC-Web (user listener) vs gRPC on one node: unary p50 (Post, History), a Subscribe\'s messages/s, 1,000 streams\' memory; the chat page ready and post -> shown in another browser; its failover on 3 nodes (BENCH_WEB_PARTS picks)',
  async run (log) {
    const figures: Figure[] = []
    for (const part of chosenParts(process.env.BENCH_WEB_PARTS)) {
      if (part === 'grpc-web') figures.push(...await grpcWebFigures(log))
      else if (part === 'memory') figures.push(...await subscriptionsMemory(log))
      else if (part === 'page') figures.push(...await pageFigures(log))
      else figures.push(...await failoverFigures(log))
    }
    return figures
  }
}

/** Unary p50s (Post, History) and a Subscribe's messages/s, over gRPC-Web beside gRPC, one node. */
async function grpcWebFigures (log: (line: string) => void): Promise<Figure[]> {
  const dir = await tempDir('plexi-bench-web-')
  const node = await startNodeProcess(dir.path, [...NO_RATE_LIMITS, '--chat-rate', '100000', '--chat-burst', '100000', '--role', 'chat,storage'])
  const clients: Chat[] = []
  try {
    const url = webUrlOf(node)
    const token = await addUser(node, 'alice')
    const chat = chatClient(node.grpc, token)
    clients.push(chat)
    const web = new GrpcWebClient(url)
    const figures: Figure[] = []
    const unary = async (name: string, grpcCall: () => Promise<unknown>, webCall: () => Promise<unknown>, goal = '<= 1.3'): Promise<void> => {
      await p50(50, grpcCall)
      await p50(50, webCall)
      const ours: number[] = []
      const base: number[] = []
      for (let i = 0; i < ROUNDS; i++) {
        // alternate which side goes first
        if (i % 2 === 0) { base.push(await p50(CALLS, grpcCall)); ours.push(await p50(CALLS, webCall)) } else { ours.push(await p50(CALLS, webCall)); base.push(await p50(CALLS, grpcCall)) }
      }
      const f = figure(`${name} p50 over gRPC-Web`, 'ms (lower is better)', median(ours), `${name} p50 over gRPC`, median(base), goal)
      log(`  ${f.name}: ${f.value.toFixed(3)} ms vs ${f.baseline.toFixed(3)} ms (${f.ratio.toFixed(2)}x)`)
      figures.push(f)
    }
    const check = async (answer: Promise<{ code: number | undefined }>): Promise<void> => {
      const { code } = await answer
      if (code !== 0) throw new Error(`bench: a gRPC-Web call ended with status ${String(code)}`)
    }
    await unary('Post', async () => await chat.call('Post', { room: 'bench-post', text: 'hello' }), async () => { await check(web.call('/plexi.chat.v1.Chat/Post', { room: 'bench-post', text: 'hello' }, { token })) })
    await unary('History (1 message)', async () => await chat.call('History', { room: 'bench-post', after: 0, limit: 1 }), async () => { await check(web.call('/plexi.chat.v1.Chat/History', { room: 'bench-post', after: 0, limit: 1 }, { token })) })
    // the floor: the same clients against bare servers answering History with a constant (no Plexi)
    const bare = await startUnaryBare()
    try {
      const bareChat = chatClient(`127.0.0.1:${bare.grpc}`, token)
      clients.push(bareChat)
      const bareWeb = new GrpcWebClient(`http://127.0.0.1:${bare.web}`)
      await unary('History (1 message), bare servers with a constant answer (no Plexi: the transports and clients alone)', async () => await bareChat.call('History', { room: 'bench-post', after: 0, limit: 1 }), async () => { await check(bareWeb.call('/plexi.chat.v1.Chat/History', { room: 'bench-post', after: 0, limit: 1 })) }, 'quoted')
    } finally {
      await bare.stop()
    }
    // a room with HISTORY messages, which each Subscribe catches up on from seq 0
    for (let at = 0; at < HISTORY; at += 100) await Promise.all(Array.from({ length: 100 }, async (_, i) => await chat.call('Post', { room: 'bench-stream', text: `message ${at + i} of the bench's history` })))
    await grpcStream(chat, 'bench-stream', HISTORY)
    await webStream(web, token, 'bench-stream', HISTORY)
    const ours: number[] = []
    const base: number[] = []
    for (let i = 0; i < STREAM_ROUNDS; i++) {
      if (i % 2 === 0) { base.push(await grpcStream(chat, 'bench-stream', HISTORY)); ours.push(await webStream(web, token, 'bench-stream', HISTORY)) } else { ours.push(await webStream(web, token, 'bench-stream', HISTORY)); base.push(await grpcStream(chat, 'bench-stream', HISTORY)) }
    }
    const f = figure('Subscribe messages/s over gRPC-Web', 'messages/s', median(ours), 'Subscribe messages/s over gRPC', median(base), '>= 0.8')
    log(`  ${f.name}: ${Math.round(f.value)} vs ${Math.round(f.baseline)} (${f.ratio.toFixed(2)}x)`)
    figures.push(f)
    return figures
  } finally {
    for (const c of clients) c.close()
    await node.stop()
    await dir.remove()
  }
}

/** A fresh node with USERS users (their tokens) and its web URL, streams per address unlimited. */
async function memoryNode (dir: string): Promise<{ node: NodeProcess, url: string, tokens: string[] }> {
  const node = await startNodeProcess(dir, [...NO_RATE_LIMITS, '--streams-per-ip', '0', '--role', 'chat,storage'])
  const tokens: string[] = []
  for (let i = 0; i < USERS; i++) tokens.push(await addUser(node, `user${i}`))
  return { node, url: webUrlOf(node), tokens }
}

/**
 * The memory SUBSCRIPTIONS open Subscribe streams cost a node: two fresh nodes side by side, one
 * holding them over gRPC (one grpc-js channel per user, HTTP/2), the other over gRPC-Web (a
 * connection each: fetch over HTTP/1.1, as a browser's page opens them); the RSS each grew by from
 * before the streams to once every stream is live.
 */
async function subscriptionsMemory (log: (line: string) => void): Promise<Figure[]> {
  const dirs = [await tempDir('plexi-bench-web-g-'), await tempDir('plexi-bench-web-w-')]
  const started: Array<Awaited<ReturnType<typeof memoryNode>>> = []
  const clients: Chat[] = []
  const aborts: AbortController[] = []
  try {
    for (const dir of dirs) started.push(await memoryNode(dir.path))
    const [g, w] = started as [Awaited<ReturnType<typeof memoryNode>>, Awaited<ReturnType<typeof memoryNode>>]
    const gChats = g.tokens.map((t) => { const c = chatClient(g.node.grpc, t); clients.push(c); return c })
    await gChats[0]?.call('Post', { room: 'mem', text: 'first' })
    await new GrpcWebClient(w.url).call('/plexi.chat.v1.Chat/Post', { room: 'mem', text: 'first' }, { token: w.tokens[0] })
    const before = [(await rssOf(g.node.pid)).rss, (await rssOf(w.node.pid)).rss]
    // gRPC: each stream is live once its `live` event came
    await Promise.all(Array.from({ length: SUBSCRIPTIONS }, async (_, i) => await new Promise<void>((resolve, reject) => {
      const stream = (gChats[i % USERS] as Chat).subscribe('mem', 0)
      stream.on('data', (e: { live?: unknown }) => { if (e.live !== undefined) resolve() })
      stream.on('error', (err: Error & { code?: number }) => { if (err.code !== 1) reject(err) })
    })))
    const web = new GrpcWebClient(w.url)
    await Promise.all(Array.from({ length: SUBSCRIPTIONS }, async (_, i) => {
      const abort = new AbortController()
      aborts.push(abort)
      const stream = web.stream('/plexi.chat.v1.Chat/Subscribe', { room: 'mem', after: 0 }, { token: w.tokens[i % USERS], signal: abort.signal })
      for (;;) {
        const next = await stream.next()
        if (next.done === true) throw new Error(`bench: a gRPC-Web Subscribe ended before live (status ${String(next.value.code)}: ${next.value.details})`)
        if ((next.value as { live?: unknown }).live !== undefined) break
      }
      // the rest of the stream is left unread until the abort
    }))
    const after = [(await rssOf(g.node.pid)).rss, (await rssOf(w.node.pid)).rss]
    const grew = after.map((a, i) => (a - (before[i] as number)) / MIB) as [number, number]
    log(`  ${SUBSCRIPTIONS} Subscribe streams: gRPC node ${((before[0] as number) / MIB).toFixed(0)} -> ${((after[0] as number) / MIB).toFixed(0)} MiB, gRPC-Web node ${((before[1] as number) / MIB).toFixed(0)} -> ${((after[1] as number) / MIB).toFixed(0)} MiB`)
    return [
      figure(`RSS growth, ${SUBSCRIPTIONS} Subscribe streams over gRPC-Web`, 'MiB (lower is better)', grew[1], `RSS growth, ${SUBSCRIPTIONS} over gRPC`, grew[0], '<= 1.3'),
      figure(`node RSS with ${SUBSCRIPTIONS} gRPC-Web streams`, 'MiB (lower is better)', (after[1] as number) / MIB, `node RSS with ${SUBSCRIPTIONS} gRPC streams`, (after[0] as number) / MIB)
    ]
  } finally {
    for (const a of aborts) a.abort()
    for (const c of clients) c.close()
    for (const s of started) await s.node.stop()
    for (const d of dirs) await d.remove()
  }
}

/** bench/web-unary-bare.ts as a process of its own: its gRPC and gRPC-Web ports, and stop(). */
async function startUnaryBare (): Promise<{ grpc: number, web: number, stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./web-unary-bare.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
  const ports = await new Promise<[number, number]>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('bench: the bare unary servers did not start within 30 s')) }, 30_000)
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening (\d+) (\d+)/.exec(out)
      if (m !== null) { clearTimeout(timer); resolve([Number(m[1]), Number(m[2])]) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`bench: the bare unary servers exited (${String(code)}) before listening`)) })
  })
  return { grpc: ports[0], web: ports[1], stop: async () => { child.kill('SIGTERM'); await exited } }
}
