/**
 * A plugin's crash, hang and memory overrun while the node's chat and agents go on (part e): a
 * node process runs the bench's misbehaving plugin (bench/fixtures/trouble-plugin, granted to the
 * asking user's agent) and the generated model; one user posts and reads back (post→deliver)
 * without pause, another asks their agent without pause, through gRPC. The observer member makes
 * the plugin crash, hang, then eat memory, one episode at a time, each lasting until the host has
 * killed it for that very reason (the node's plexi_plugin_kills_total{reason}) and it answers
 * again. Counted: the posts and asks that failed, answered, and their p99 in each episode against
 * the time before.
 */
import { fileURLToPath } from 'node:url'
import { packPluginDir } from '../cli/plugin-pack.ts'
import { seriesValue } from '../test/helpers/metric-text.ts'
import { agentClient, agentTurn, chatClient } from '../test/helpers/node-process.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { waitFor } from '../test/helpers/wait-for.ts'
import { bounded, watch } from './chat.ts'
import type { BenchCluster } from './plugins-cluster.ts'
import { awaitVersionEverywhere, callOn, firstAnswer, installPackage } from './plugins-cluster.ts'
import type { Outcome } from './plugins-load.ts'

const TROUBLE = fileURLToPath(new URL('./fixtures/trouble-plugin', import.meta.url))
/** The flags of the episodes' node: llama.cpp on the CPU, one thread, short answers. */
export const EPISODE_NODE_ARGS = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '16']
const BEFORE_MS = 5_000
/** Chat and asks measured after the plugin answers again, still within the episode. */
const TAIL_MS = 1_000

export type EpisodeKind = 'crash' | 'hang' | 'memory'
const TRIGGERS: Record<EpisodeKind, [string, Record<string, unknown>]> = { crash: ['crash', {}], hang: ['hang', {}], memory: ['grow', { mib: 400 }] }

export interface Episodes {
  readonly before: { readonly posts: Outcome[], readonly asks: Outcome[] }
  readonly episodes: ReadonlyArray<{ readonly kind: EpisodeKind, readonly ms: number, readonly posts: Outcome[], readonly asks: Outcome[], readonly exit: string }>
}

/** Runs `op` again and again until stopped, each outcome kept. */
function closedLoop (op: () => Promise<void>): { outcomes: Outcome[], stop: () => Promise<void> } {
  const outcomes: Outcome[] = []
  let running = true
  const done = (async () => {
    while (running) {
      const at = performance.now()
      try {
        await op()
        outcomes.push({ at, ms: performance.now() - at })
      } catch (err) {
        outcomes.push({ at, ms: performance.now() - at, error: err instanceof Error ? err.message : String(err) })
      }
    }
  })()
  return { outcomes, stop: async () => { running = false; await done } }
}

interface MemberRow { readonly node: string, readonly restarts: number, readonly error: string | null }

export async function measureEpisodes (b: BenchCluster, log: (line: string) => void): Promise<Episodes> {
  const slot = b.slots[0] as NodeSlot
  await installPackage(slot.node, await packPluginDir(TROUBLE))
  await awaitVersionEverywhere(b, 'trouble', '1.0.0')
  const asker = await b.cluster.addUser('asker', slot)
  await b.cluster.api(slot, '/users/asker/tools', { method: 'POST', body: { grant: ['trouble__*'] } })
  const poster = await b.cluster.addUser('poster', slot)
  const chat = chatClient(slot.node.grpc, poster)
  const reader = chatClient(slot.node.grpc, poster)
  const agent = agentClient(slot.node.grpc, asker)
  try {
    await agentTurn(agent, 'Hello.')
    const feed = watch(reader, 'episodes')
    await bounded(feed.live, 'the subscription')
    let n = 0
    const posts = closedLoop(async () => {
      const ack = await chat.call<{ seq: number | string }>('Post', { room: 'episodes', text: `post ${n++}` })
      await bounded(feed.reached(Number(ack.seq)), 'the delivery', 10_000)
    })
    const asks = closedLoop(async () => { await agentTurn(agent, 'Say something short.', 30_000) })
    const t0 = performance.now()
    await new Promise((resolve) => setTimeout(resolve, BEFORE_MS))
    const windows: Array<{ kind: EpisodeKind, from: number, to: number, exit: string }> = []
    for (const kind of ['crash', 'hang', 'memory'] as const) {
      const restarts = await restartsOf(b, slot)
      const kills = await killsOf(b, slot, kind)
      const from = performance.now()
      const [tool, args] = TRIGGERS[kind]
      await callOn(b, slot.peerId, `trouble__${tool}`, args, 1_000).catch(() => undefined)
      // killed for this reason and started again (the host counted both), then answering
      await waitFor(async () => (await killsOf(b, slot, kind)) > kills && (await restartsOf(b, slot)) > restarts, `the trouble plugin killed for its ${kind} and restarted`, { timeout: 30_000, interval: 50 })
      await firstAnswer(b, slot.peerId, 'trouble__echo', { text: 'back' })
      const back = performance.now()
      await new Promise((resolve) => setTimeout(resolve, TAIL_MS))
      const to = performance.now()
      const exit = `plexi_plugin_kills_total{reason="${kind}"} ${kills} → ${await killsOf(b, slot, kind)}`
      windows.push({ kind, from, to, exit })
      log(`  ${kind}: ${Math.round(back - from)} ms until it answered again (${exit})`)
    }
    await Promise.all([posts.stop(), asks.stop()])
    feed.cancel()
    const within = (o: readonly Outcome[], from: number, to: number): Outcome[] => o.filter((x) => x.at >= from && x.at < to)
    // an episode's posts and asks: every one in flight at any moment of it (an ask takes longer
    // than a crash lasts: one started before it and answered during it counts)
    const during = (o: readonly Outcome[], from: number, to: number): Outcome[] => o.filter((x) => x.at < to && x.at + x.ms > from)
    for (const o of [...posts.outcomes, ...asks.outcomes].filter((x) => x.error !== undefined).slice(0, 5)) log(`  failed: ${o.error as string}`)
    return {
      before: { posts: within(posts.outcomes, t0, t0 + BEFORE_MS), asks: within(asks.outcomes, t0, t0 + BEFORE_MS) },
      episodes: windows.map((w) => ({ kind: w.kind, ms: w.to - w.from, posts: during(posts.outcomes, w.from, w.to), asks: during(asks.outcomes, w.from, w.to), exit: w.exit }))
    }
  } finally {
    chat.close()
    reader.close()
    agent.close()
  }
}

async function memberRow (b: BenchCluster, slot: NodeSlot): Promise<MemberRow | undefined> {
  const plugin = await b.cluster.api<{ nodes: MemberRow[] }>(slot, '/plugins/trouble')
  return plugin.nodes.find((r) => r.node === slot.peerId)
}

/** The node's count of the trouble plugin's kills for `reason` (crash, hang, memory). */
async function killsOf (b: BenchCluster, slot: NodeSlot, reason: EpisodeKind): Promise<number> {
  return seriesValue(await b.cluster.metrics(slot), `plexi_plugin_kills_total{plugin="trouble",reason="${reason}"}`) ?? 0
}

async function restartsOf (b: BenchCluster, slot: NodeSlot): Promise<number> {
  return (await memberRow(b, slot))?.restarts ?? 0
}
