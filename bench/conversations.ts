/**
 * `npm run bench -- conversations`: the goals of issue 38 (docs/performance.md, "Conversations"),
 * each figure beside a baseline measured in the same run.
 *
 * (a) What indexing costs a post, on one node as the chat bench runs it: post→deliver p50 on a
 *     node that keeps a search index against one started with `--no-search`, in interleaved rounds;
 *     and the indexing lag p99 while the chat bench's throughput load (64 posts in flight) runs.
 * (b) Three node processes (role all, R = 3, so every node indexes every post) loaded with
 *     1,000,000 posts in 1,000 rooms through the import path (bench/conversations-transfer.ts):
 *     search (bench/conversations-search.ts), export and import, and the erasure of a user with
 *     10,000 posts (bench/conversations-erasure.ts), each part with its own baselines.
 *
 * PLEXI_BENCH_ROOMS and PLEXI_BENCH_POSTS_PER_ROOM make (b) smaller for a quick look (the goals are
 * stated for the defaults).
 */
import { chatClient, NO_RATE_LIMITS, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { ProcessCluster } from '../test/helpers/process-cluster.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { postDeliverLatency, throughput } from './chat.ts'
import type { Client } from './chat.ts'
import { erasureFigures } from './conversations-erasure.ts'
import { histogramQuantile, searchClusterFigures, searchIndexFigures } from './conversations-search.ts'
import { loadRooms, transferFigures } from './conversations-transfer.ts'
import type { TransferNode } from './conversations-transfer.ts'
import { collector, figure, median } from './figure.ts'
import type { Bench, Figure } from './figure.ts'

const ROOMS = Number(process.env.PLEXI_BENCH_ROOMS ?? 1_000)
const POSTS_PER_ROOM = Number(process.env.PLEXI_BENCH_POSTS_PER_ROOM ?? 1_000)
/** Rounds of (a): each round measures both nodes, one after the other, in alternating order. */
const COST_ROUNDS = 4
/** The words the loaded posts are made of (bench/conversations-transfer.ts roomExport). */
const VOCABULARY = ['deploy', 'meeting', 'budget', 'release', 'incident', 'design', 'review', 'customer', 'latency', 'search', 'index', 'backup', 'decided', 'tomorrow', 'agenda']

async function addUser (node: { admin: string, adminToken: string }, name: string): Promise<string> {
  const res = await fetch(`http://${node.admin}/api/v1/users`, {
    method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name })
  })
  if (!res.ok) throw new Error(`bench: adding user ${name}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}

async function metricsOf (node: NodeProcess): Promise<string> {
  return await (await fetch(`http://${node.admin}/metrics`, { headers: { authorization: `Bearer ${node.adminToken}` } })).text()
}

/** (a) post→deliver p50 with and without the index, and the indexing lag under the throughput load. */
async function indexingCost (add: (f: Figure) => void, log: (line: string) => void): Promise<void> {
  const dirs = [await tempDir('plexi-bench-search-'), await tempDir('plexi-bench-nosearch-')]
  const nodes: NodeProcess[] = []
  const clients: Client[] = []
  try {
    nodes.push(await startNodeProcess(dirs[0]?.path as string, NO_RATE_LIMITS))
    nodes.push(await startNodeProcess(dirs[1]?.path as string, [...NO_RATE_LIMITS, '--no-search']))
    const pair = async (node: NodeProcess): Promise<[Client, Client]> => {
      const a = chatClient(node.grpc, await addUser(node, 'alice'))
      const b = chatClient(node.grpc, await addUser(node, 'bob'))
      clients.push(a, b)
      return [a, b]
    }
    const [indexed, bare] = [await pair(nodes[0] as NodeProcess), await pair(nodes[1] as NodeProcess)]
    await postDeliverLatency(...indexed, 'warm-up')
    await postDeliverLatency(...bare, 'warm-up')
    const withIndex: number[] = []
    const without: number[] = []
    for (let round = 0; round < COST_ROUNDS; round++) {
      const order = round % 2 === 0 ? [[indexed, withIndex], [bare, without]] as const : [[bare, without], [indexed, withIndex]] as const
      for (const [clients2, samples] of order) samples.push(median(await postDeliverLatency(...clients2, `cost-${round}`)))
      log(`  round ${round}: post→deliver p50 ${withIndex.at(-1)?.toFixed(3) ?? '?'} ms indexed, ${without.at(-1)?.toFixed(3) ?? '?'} ms without`)
    }
    add(figure('post-deliver-p50-indexed', 'ms', median(withIndex), 'the same node with --no-search, p50', median(without), '<= 1.2x'))
    const posters = [indexed[0], chatClient((nodes[0] as NodeProcess).grpc, await addUser(nodes[0] as NodeProcess, 'carol'))]
    clients.push(posters[1] as Client)
    const rate = await throughput(posters, 'lag', [indexed[1]])
    const lag = histogramQuantile(await metricsOf(nodes[0] as NodeProcess), 'plexi_search_indexing_lag_seconds', 0.99)
    log(`  the chat bench's load: ${rate.toFixed(0)} posts/s (64 in flight)`)
    add(figure('search-indexing-lag-p99-at-chat-rate', 's', lag, 'the goal\'s bound', 1, '<= 1 s'))
  } finally {
    for (const c of clients) c.close()
    await Promise.all(nodes.map(async (n) => await n.stop()))
    await Promise.all(dirs.map(async (d) => await d?.remove()))
  }
}

/** (b) the cluster, its data, and each part's figures. */
async function clusterFigures (figures: Figure[], log: (line: string) => void): Promise<void> {
  const cluster = new ProcessCluster({ failureTimeout: 5_000, args: NO_RATE_LIMITS })
  try {
    await cluster.start(['all', 'all', 'all'])
    await cluster.awaitUp(3)
    const slots = cluster.slots as readonly NodeSlot[]
    const nodes: TransferNode[] = slots.map((s) => ({ admin: s.node.admin, adminToken: s.node.adminToken, grpc: s.node.grpc }))
    const posts = ROOMS * POSTS_PER_ROOM
    log(`  loading ${posts} posts in ${ROOMS} rooms through the import path`)
    const loaded = await loadRooms(nodes, { rooms: ROOMS, postsPerRoom: POSTS_PER_ROOM, concurrency: 6, log: (line) => { log(`  ${line}`) } })
    log(`  loaded ${loaded.count} posts in ${loaded.seconds.toFixed(1)} s (${loaded.perSecond.toFixed(0)} posts/s)`)
    const token = await cluster.addUser('reader')
    const rooms = Array.from({ length: ROOMS }, (_, i) => `room-${i}`)
    // each part logs its own figures as it makes them
    figures.push(...await searchClusterFigures({ nodes, token, posts, vocabulary: VOCABULARY, rooms }, log))

    const clients = new Map<string, Client>()
    const clientOf = (node: TransferNode): Client => {
      let c = clients.get(node.grpc)
      if (c === undefined) clients.set(node.grpc, c = chatClient(node.grpc, token))
      return c
    }
    try {
      const transfer = await transferFigures(nodes, {
        post: async (node, room, text) => { await clientOf(node).call('Post', { room, text }) },
        history: async (node, room, after) => (await clientOf(node).call<{ messages: Array<{ seq: number }> }>('History', { room, after, limit: 1_000 })).messages
      }, { log: (line) => { log(`  ${line}`) } })
      figures.push(...transfer)
      for (const f of transfer) log(`  ${f.name}: ${f.value} ${f.unit} (baseline ${f.baseline}, ratio ${f.ratio})`)
    } finally {
      for (const c of clients.values()) c.close()
    }
    figures.push(...await erasureFigures(slots.map((s) => ({ admin: s.node.admin, adminToken: s.node.adminToken, dataDir: s.dir })), { log: (line) => { log(`  ${line}`) } }))
  } finally {
    await cluster.close()
  }
}

export const conversationsBench: Bench = {
  name: 'conversations',
  description: 'search over 1,000,000 posts on 3 nodes, indexing cost and lag, export, import and erasure (issue 38)',
  async run (log) {
    const { figures, add } = collector(log)
    log('  (a) what indexing costs a post, and its lag at the chat bench\'s rate')
    await indexingCost(add, log)
    log('  the search index alone, in this process')
    figures.push(...await searchIndexFigures(log))
    log(`  (b) 3 nodes, ${ROOMS * POSTS_PER_ROOM} posts in ${ROOMS} rooms`)
    await clusterFigures(figures, log)
    return figures
  }
}

