/**
 * The seeds' throughput targets (issue 40) on a cluster of three `plexi node start` processes
 * (every role, cluster key, limits per address and per user lifted: the load comes from one
 * address), each part beside its baseline measured in the same run:
 *
 * - web (scale-web.ts): every read route of the admin API, those of one item (scale-items.ts: a
 *   repair, a job, a backup, a plugin and its logs, an MCP server, a model) and `GET /v1/models` with autocannon,
 *   50 connections, against a bare Fastify route with the same bearer check; at 4 users first, then
 *   the users list again at BENCH_SCALE_USERS users (a page of 100: the goal is the same rate);
 * - agents (scale-agents.ts): agent requests without a model evaluation across every user over
 *   gRPC against a bare grpc-js server; 8-token generations against llama.cpp in this process;
 * - memory (scale-memory.ts): every user subscribed to a room and its agent active, each node's RSS.
 *
 * Knobs: BENCH_SCALE_PARTS (web,agents,memory), BENCH_SCALE_ROUTES (a regular expression: the web
 * routes whose name it matches; default all), BENCH_SCALE_USERS (10000), BENCH_SCALE_SECONDS
 * (5: each load), BENCH_SCALE_ROUNDS (3: each web route and its bare one loaded that many times, the
 * round with the median ratio reported), BENCH_SCALE_IN_FLIGHT (256: gRPC calls at once), BENCH_SCALE_GENERATORS (6:
 * users asking at once). The machine's other work shares its cores with all of it: ratios are
 * what to read, each side measured next to the other.
 */
import { randomUUID } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { hashToken } from '../node/index.ts'
import { runCli } from '../test/helpers/node-process.ts'
import { ProcessCluster } from '../test/helpers/process-cluster.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { collector, envNumber, figure } from './figure.ts'
import type { Bench, Figure } from './figure.ts'
import { SHORT_TOKENS, agentFigures, agentRequests, directShortGenerations, everyAgent, shortGenerations } from './scale-agents.ts'
import { startBare } from './scale-load.ts'
import type { BareServers } from './scale-load.ts'
import { quietNodes } from './quiet-nodes.ts'
import { RSS_GOAL_BYTES, rssOf, subscribeAll } from './scale-memory.ts'
import { itemRoutes } from './scale-items.ts'
import { adminRoutes, loadRoutes, routeFigures } from './scale-web.ts'
import type { WebRoute } from './scale-web.ts'

const PARTS = ['web', 'agents', 'memory'] as const
/** Users added at once (each add is one directory event, pipelined: adds share fsyncs). */
const ADDING = 64
const MIB = 1024 * 1024
/** The nodes' flags beyond the cluster's: every limit per address and per user lifted, streams
 * unbounded per address (10,000 subscriptions from one), the OpenAI endpoint on. */
const NODE_ARGS = ['--ip-rate', '0', '--user-rate', '0', '--streams-per-ip', '0', '--agent-requests-per-min', '1000000', '--agent-tokens-per-min', '1000000000', '--openai-listen', '127.0.0.1:0']

export const scaleBench: Bench = {
  name: 'scale',
  description: 'issue 40 on 3 node processes: web API req/s per read route vs a bare Fastify route (autocannon, 50 connections), agent requests/s over gRPC across 10,000 users vs a bare grpc-js server, 8-token generations vs llama.cpp, RSS per node with 10,000 users subscribed',
  async run (log) {
    const parts = (process.env.BENCH_SCALE_PARTS ?? PARTS.join(',')).split(',').map((p) => p.trim())
    const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p))
    if (unknown.length > 0) throw new Error(`BENCH_SCALE_PARTS: expected some of ${PARTS.join(',')}, got ${unknown.join(',')}`)
    const users = envNumber('BENCH_SCALE_USERS', 10_000, { integer: true })
    if (users < 4) throw new Error(`BENCH_SCALE_USERS: at least 4 (the web part starts with 4), got ${users}`)
    const seconds = envNumber('BENCH_SCALE_SECONDS', 5)
    const rounds = envNumber('BENCH_SCALE_ROUNDS', 3, { integer: true })
    if (rounds < 1) throw new Error(`BENCH_SCALE_ROUNDS: at least 1, got ${rounds}`)
    const { figures, add } = collector(log)
    const dir = await tempDir('plexi-bench-scale-')
    const cluster = new ProcessCluster({ failureTimeout: 10_000, bootMs: 120_000, args: NODE_ARGS })
    let bare: BareServers | undefined
    try {
      // the first node keeps backups' key: the web part reads a backup
      const keyFile = join(dir.path, 'backup.key')
      const made = await runCli(['backup', 'keygen', '--out', keyFile, '--json'])
      if (made.code !== 0) throw new Error(`bench: backup keygen failed: ${made.stderr}`)
      await cluster.start([{ roles: 'all', args: ['--backup-key-file', keyFile] }, 'all', 'all'])
      const slots = cluster.slots
      const first = slots[0] as NodeSlot
      const rssBefore = await Promise.all(slots.map(async (s) => (await rssOf(s.node.pid)).rss))
      const tokens = await addUsers(cluster, first, 0, 4)
      log(`  3 nodes up; 4 users; RSS ${rssBefore.map((b) => (b / MIB).toFixed(0)).join(', ')} MiB`)
      const startBareWith = async (): Promise<BareServers> => await startBare(dir.path, first.node.adminToken, tokens.map(hashToken))
      if (parts.includes('web')) {
        bare = await startBareWith()
        const openai = openAiOf(first)
        const only = new RegExp(process.env.BENCH_SCALE_ROUTES ?? '')
        const routes: WebRoute[] = [
          ...adminRoutes(first.node.admin, first.node.adminToken, 'user0'), { name: 'GET /v1/models', url: `http://${openai}/v1/models`, token: tokens[0] as string, kind: 'memory' as const },
          ...await itemRoutes(cluster, first, dir.path, openai, tokens[0] as string, log)
        ].filter((r) => only.test(r.name))
        // the nodes' own work after they started (placement, the first snapshots) done first: a
        // load measured during it measures that too
        const settle = async (what: string): Promise<void> => {
          const ms = await quietNodes(slots.map((s) => s.node.pid), { windowMs: 1_000, maxMs: 60_000 })
          log(`  the nodes were quiet ${(ms / 1000).toFixed(1)} s ${what}`)
        }
        await settle('after they started')
        const runs = await loadRoutes(routes, { url: `http://${bare.http}/bare`, token: first.node.adminToken }, seconds, log, rounds)
        for (const f of routeFigures(runs)) add(f)
        // the same answer (a page of 4) at 4 users and at `users`: the cost of the directory's size
        const atFew = runs.find((r) => r.route.name === 'GET /api/v1/users?limit=4')
        tokens.push(...await addUsers(cluster, first, 4, users - 4, log))
        const later = [...routes.filter((r) => r.name === 'GET /api/v1/users?limit=4'), { name: 'GET /api/v1/users?limit=100&after=user5000', url: `http://${first.node.admin}/api/v1/users?limit=100&after=user5000`, token: first.node.adminToken, kind: 'memory' as const }]
        await settle(`after ${users} users were added`)
        const again = await loadRoutes(later, { url: `http://${bare.http}/bare`, token: first.node.adminToken }, seconds, log, rounds)
        const atMany = again.find((r) => r.route.name === 'GET /api/v1/users?limit=4')
        if (atFew !== undefined && atMany !== undefined) {
          add(figure(`web GET /api/v1/users?limit=4 at ${users} users vs 4, ratio to bare`, 'x', atMany.ours.rate / atMany.bare.rate, 'the same page\'s ratio at 4 users', atFew.ours.rate / atFew.bare.rate, '~1x (flat)'))
        }
        for (const f of routeFigures(again.filter((r) => r !== atMany))) add(f)
        await bare.stop()
        bare = undefined
      }
      if (tokens.length < users) tokens.push(...await addUsers(cluster, first, tokens.length, users - tokens.length, log))
      const nodes = slots.map((s) => s.node.grpc)
      if (parts.includes('agents') || parts.includes('memory')) {
        const activation = await everyAgent(nodes, tokens, 'GetSettings', { user: '' })
        log(`  ${users} agents activated in ${activation.toFixed(1)} s (${Math.round(users / activation)}/s)`)
      }
      if (parts.includes('agents')) {
        // a steady state has the users' tool policies active too (Tools reads them)
        const policies = await everyAgent(nodes, tokens, 'Tools', { user: '' })
        log(`  ${users} tool policies read in ${policies.toFixed(1)} s (${Math.round(users / policies)}/s)`)
      }
      if (parts.includes('agents')) {
        bare = await startBare(dir.path, first.node.adminToken, tokens.map(hashToken))
        const inFlight = envNumber('BENCH_SCALE_IN_FLIGHT', 256, { integer: true })
        const metrics = slots.map((s) => `http://${s.node.admin}/metrics`)
        for (const f of agentFigures(await agentRequests({ dir: dir.path, nodes, bare: bare.grpc, tokens, seconds, inFlight, metrics }, log), users)) add(f)
        await bare.stop()
        bare = undefined
        for (const f of await generations(slots, tokens, seconds, log)) add(f)
      }
      if (parts.includes('memory')) {
        const subscribed = await subscribeAll(nodes, tokens)
        try {
          log(`  ${users} subscriptions live in ${subscribed.seconds.toFixed(1)} s`)
          // the agents again: one activated at the start may have been passivated since
          await everyAgent(nodes, tokens, 'GetSettings', { user: '' })
          const rss = await Promise.all(slots.map(async (s) => await rssOf(s.node.pid)))
          log(`  RSS per node with ${users} users subscribed and their agents active: ${rss.map((r) => `${(r.rss / MIB).toFixed(0)} MiB (peak ${(r.hwm / MIB).toFixed(0)})`).join(', ')}`)
          add(figure(`RSS per node (the largest), ${users} users subscribed with an active agent`, 'MiB', Math.max(...rss.map((r) => r.rss)) / MIB, 'the same node with 4 users', Math.max(...rssBefore) / MIB, `< ${RSS_GOAL_BYTES / MIB} MiB`))
          add(figure(`peak RSS per node (the largest, VmHWM), ${users} users`, 'MiB', Math.max(...rss.map((r) => r.hwm)) / MIB, 'RSS with 4 users', Math.max(...rssBefore) / MIB, `< ${RSS_GOAL_BYTES / MIB} MiB`))
        } finally {
          subscribed.close()
        }
      }
      return figures
    } finally {
      await bare?.stop()
      await cluster.close()
      await dir.remove()
    }
  }
}

/** 8-token answers a second on the cluster against llama.cpp directly on the same model file. */
async function generations (slots: readonly NodeSlot[], tokens: readonly string[], seconds: number, log: (line: string) => void): Promise<Figure[]> {
  const generators = envNumber('BENCH_SCALE_GENERATORS', 6, { integer: true })
  const askers = tokens.slice(0, generators)
  const nodes = slots.map((s) => s.node.grpc)
  await everyAgent(nodes, askers, 'Configure', { user: '', maxTokens: SHORT_TOKENS }, generators)
  const ours = await shortGenerations(nodes, askers, seconds)
  const models = join((slots[0] as NodeSlot).dir, 'models')
  const file = (await readdir(models)).find((f) => f.endsWith('.gguf'))
  if (file === undefined) throw new Error(`no generated model in ${models}`)
  const direct = await directShortGenerations(join(models, file), generators, seconds)
  log(`  ${SHORT_TOKENS}-token answers, ${generators} users at once: ours ${ours.rate.toFixed(1)}/s (mean ${ours.meanMs.toFixed(0)} ms, ${ours.tokensPerAnswer.toFixed(1)} tokens each); llama.cpp directly, ${generators} sequences in one context: ${direct.rate.toFixed(1)}/s (mean ${direct.meanMs.toFixed(0)} ms)`)
  return [
    figure(`${SHORT_TOKENS}-token generations, ${generators} users at once, answers/s`, 'answers/s', ours.rate, `llama.cpp directly: ${generators} sequences batched in one context, 2 threads`, direct.rate, 'the highest rate the CPU gives (>= 0.5x)'),
    figure(`${SHORT_TOKENS}-token generations, mean ms per answer`, 'ms', ours.meanMs, 'llama.cpp directly', direct.meanMs, 'lower is better')
  ]
}

/** Adds users `user<from>`..`user<from+count-1>` through `slot`'s admin API; their tokens in order. */
async function addUsers (cluster: ProcessCluster, slot: NodeSlot, from: number, count: number, log?: (line: string) => void): Promise<string[]> {
  const tokens: string[] = new Array<string>(count)
  const started = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: Math.min(ADDING, count) }, async () => {
    while (next < count) {
      const i = next++
      tokens[i] = await addUser(cluster, slot, `user${from + i}`)
    }
  }))
  log?.(`  ${count} users added in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return tokens
}

/** One user added, asked again (with its client id: never added twice) while the node answers 503
 * or 504 "retry shortly" (the directory's owner slow to answer on a busy machine), for a minute. */
async function addUser (cluster: ProcessCluster, slot: NodeSlot, name: string): Promise<string> {
  const clientId = randomUUID()
  const until = performance.now() + 60_000
  for (;;) {
    try {
      return (await cluster.api<{ token: string }>(slot, '/users', { method: 'POST', body: { name, clientId } })).token
    } catch (err) {
      const status = (err as { status?: unknown }).status
      if ((status !== 503 && status !== 504) || performance.now() > until) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

/** The OpenAI endpoint's host:port, as the node logged it. */
function openAiOf (slot: NodeSlot): string {
  const openai = slot.node.logs.find((entry) => typeof entry.openai === 'string')?.openai
  if (typeof openai !== 'string') throw new Error(`${slot.peerId} logged no OpenAI address`)
  // (logged as the base URL clients are given: http://HOST:PORT/v1)
  return new URL(openai).host
}
