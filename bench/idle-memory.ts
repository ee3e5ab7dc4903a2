/**
 * What an idle node holds (issue 41: <= 150 MiB RSS per idle node), and what its young-generation
 * size costs a busy one. Nodes are real `plexi node start` processes, each on a fresh data dir,
 * alone (no cluster key), as `npm start` runs them.
 *
 * - idle RSS per role set (chat; storage; every role): the node as shipped beside the same node
 *   under V8's own young generation (`--max-semi-space-size 0`), both started at once, read from
 *   /proc (VmRSS) after IDLE_MS of idling once ready.
 * - posts/s with 100 subscribers (bench/chat.ts's throughput) on the node as shipped against the
 *   same node under V8's own young generation, rounds interleaved.
 *
 * The compile cache's share (the node runs itself again with NODE_COMPILE_CACHE, docs/operations.md
 * "Memory") is in both sides of each figure; docs/performance.md, "Idle memory", has it apart.
 */
import { chatClient, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { throughput } from './chat.ts'
import type { Client } from './chat.ts'
import { collector, figure, interleaved } from './figure.ts'
import type { Bench } from './figure.ts'
import { rssOf } from './scale-memory.ts'

const MIB = 1024 * 1024
/** How long a node idles once ready before its RSS is read (BENCH_IDLE_MS): past the time its
 * search thread rests (SEARCH_THREAD_IDLE_MS, a minute) and its end is collected. */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 75_000)
const ROLE_SETS = ['chat', 'storage', 'all'] as const
const V8_OWN = ['--max-semi-space-size', '0']
const ROUNDS = Number(process.env.BENCH_IDLE_ROUNDS ?? 6)
const SUBSCRIBERS = 100
const POSTERS = 4

interface Started { readonly node: NodeProcess, readonly remove: () => Promise<void> }

async function start (args: readonly string[]): Promise<Started> {
  const dir = await tempDir('plexi-bench-idle-')
  try {
    return { node: await startNodeProcess(dir.path, args), remove: dir.remove }
  } catch (err) {
    await dir.remove()
    throw err
  }
}

async function stop (started: readonly Started[]): Promise<void> {
  for (const s of started) {
    await s.node.stop()
    await s.remove()
  }
}

async function token (node: NodeProcess, name: string): Promise<string> {
  const res = await fetch(`http://${node.admin}/api/v1/users`, {
    method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name })
  })
  return ((await res.json()) as { token: string }).token
}

/** A posts/s round on `node`: 4 posters, 100 subscribers, each round in a room of its own. */
async function poster (node: NodeProcess): Promise<{ round: () => Promise<number>, close: () => void }> {
  const alice = await token(node, 'alice')
  const bob = await token(node, 'bob')
  const posters: Client[] = Array.from({ length: POSTERS }, () => chatClient(node.grpc, alice))
  const subscribers: Client[] = Array.from({ length: SUBSCRIBERS }, () => chatClient(node.grpc, bob))
  let n = 0
  return {
    round: async () => await throughput(posters, `idle-tp-${n++}`, subscribers),
    close: () => { for (const c of [...posters, ...subscribers]) c.close() }
  }
}

export const idleMemoryBench: Bench = {
  name: 'idle-memory',
  description: 'RSS of an idle node per role set, and posts/s, vs the same node under V8\'s own young generation',
  async run (log) {
    const { figures, add } = collector(log)
    for (const roles of ROLE_SETS) {
      const started: Started[] = []
      try {
        started.push(await start(['--role', roles]))
        started.push(await start(['--role', roles, ...V8_OWN]))
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
        const [ours, v8own] = await Promise.all(started.map(async (s) => (await rssOf(s.node.pid)).rss / MIB))
        add(figure(`idle-rss-${roles}`, 'MiB', ours as number, `the same node with --max-semi-space-size 0 (V8's own young generation), idle ${IDLE_MS / 1000} s`, v8own as number, '<= 150 MiB (lower is better)'))
      } finally {
        await stop(started)
      }
    }
    const started: Started[] = []
    const closers: Array<() => void> = []
    try {
      started.push(await start(['--role', 'all']))
      started.push(await start(['--role', 'all', ...V8_OWN]))
      const [ours, v8own] = await Promise.all(started.map(async (s) => await poster(s.node))) as [Awaited<ReturnType<typeof poster>>, Awaited<ReturnType<typeof poster>>]
      closers.push(ours.close, v8own.close)
      const rates = await interleaved(ROUNDS, ours.round, v8own.round, 1)
      add(figure('posts-per-second-100-subscribers', 'posts/s', rates.ours, 'the same node with --max-semi-space-size 0 (V8\'s own young generation)', rates.baseline, '>= 0.95 (the young generation cut costs no throughput)'))
    } finally {
      for (const close of closers) close()
      await stop(started)
    }
    return figures
  }
}
