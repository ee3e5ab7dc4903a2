/**
 * Replicated journals (issue 12), on real `plexi node start` processes on loopback:
 *
 * - posts/s and post ack latency (p50, p99) on three chat+storage nodes with every journal on
 *   three replicas (R=3, W=2: each post fsynced on two nodes before its ack), against the same
 *   three nodes with R=1 (each post fsynced once, on one node), 64 posts in flight from clients
 *   on all three nodes, into 32 rooms;
 * - History p50 and p99 through a node that does not own the room, against the same reads through
 *   the room's owner (R=3 W=2: what a safe read costs, a read that only a current owner answers);
 * - failover: SIGKILL of a room's owner, then the time until a client on another node, posting
 *   every 10 ms, has a post to that room acknowledged again; default failure-timeout (3 s), the
 *   killed node started again between tries.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { NO_RATE_LIMITS, chatClient, runCli, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { figure, median, percentile } from './figure.ts'
import type { Bench, Figure } from './figure.ts'
import { repairFigures } from './repair.ts'

const NODES = 3
const ROOMS = 32
const IN_FLIGHT = 64
const POSTS = 4_000
const ROUNDS = 3
const FAILOVERS = 3
/** History reads per node (owner and one other), one at a time, after a warm-up of READS / 10. */
const READS = 1_000
/** A failover that takes longer than this is reported as this (the bench never hangs). */
const FAILOVER_LIMIT_MS = 30_000

interface Cluster {
  readonly nodes: Array<{ node: NodeProcess, dir: string, p2p: string, peerId: string, args: string[] }>
  readonly token: string
  stop (): Promise<void>
}

async function api<T> (node: NodeProcess, path: string): Promise<T> {
  const res = await fetch(`http://${node.admin}/api/v1${path}`, { headers: { authorization: `Bearer ${node.adminToken}` } })
  return await res.json() as T
}

async function until (what: string, check: () => Promise<boolean>, timeout = 60_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!await check().catch(() => false)) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function startCluster (replicationFactor: number, log: (line: string) => void): Promise<Cluster> {
  const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  const keyDir = await tempDir()
  dirs.push(keyDir)
  const keyFile = join(keyDir.path, 'cluster.key')
  await writeFile(keyFile, (await runCli(['cluster', 'keygen'])).stdout, { mode: 0o600 })
  const nodes: Cluster['nodes'] = []
  for (let i = 0; i < NODES; i++) {
    const dir = await tempDir()
    dirs.push(dir)
    const args = ['--role', 'chat,storage', '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--replication-factor', String(replicationFactor),
      ...NO_RATE_LIMITS, ...(nodes[0] === undefined ? [] : ['--join', nodes[0].p2p])]
    const node = await startNodeProcess(dir.path, args, 40_000)
    const ready = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    nodes.push({ node, dir: dir.path, p2p: (ready?.p2p as string[] | undefined)?.[0] ?? '', peerId: ready?.peerId as string ?? '', args })
  }
  for (const n of nodes) await until('every node to see the others up', async () => (await api<Array<{ status: string }>>(n.node, '/nodes')).filter((m) => m.status === 'up').length === NODES)
  // and every storage node to hold its partitions whole (new replicas catch up before they count)
  await until('every node to catch up on its partitions', async () => (await api<Array<{ catchUp: { partitions: number, caughtUp: number } | null }>>(nodes[0]?.node as NodeProcess, '/storage'))
    .every((r) => r.catchUp !== null && r.catchUp.caughtUp === r.catchUp.partitions))
  const added = await runCli(['admin', 'users', 'add', 'bench', '--json', '--no-save', '--admin-addr', nodes[0]?.node.admin as string, '--data-dir', nodes[0]?.dir as string])
  const token = (JSON.parse(added.stdout) as { token: string }).token
  log(`  cluster of ${NODES} nodes up, replication-factor ${replicationFactor}`)
  return {
    nodes,
    token,
    async stop () {
      for (const n of nodes) await n.node.stop('SIGTERM', 20_000).catch(() => n.node.stop('SIGKILL', 5_000).catch(() => undefined))
      for (const d of dirs) await d.remove()
    }
  }
}

/** POSTS posts, IN_FLIGHT at a time, from a client on each node in turn: posts/s and each ack's latency. */
async function posting (cluster: Cluster): Promise<{ rate: number, latencies: number[] }> {
  const clients = cluster.nodes.map((n) => chatClient(n.node.grpc, cluster.token))
  try {
    // every room exists (and is active) before the clock starts
    await Promise.all(Array.from({ length: ROOMS }, (_, r) => (clients[r % clients.length] as ReturnType<typeof chatClient>).call('Post', { room: `bench-${r}`, text: 'warm' })))
    const latencies: number[] = []
    let next = 0
    const started = performance.now()
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < POSTS) {
        const i = next++
        const client = clients[i % clients.length] as ReturnType<typeof chatClient>
        const t = performance.now()
        await client.call('Post', { room: `bench-${i % ROOMS}`, text: `post ${i}`, clientId: randomUUID() })
        latencies.push(performance.now() - t)
      }
    }))
    return { rate: POSTS / ((performance.now() - started) / 1000), latencies }
  } finally {
    for (const c of clients) c.close()
  }
}

/** History of one room (50 messages) read one at a time through its owner and through a node that
 * does not own it: each read's latency. */
async function reading (cluster: Cluster): Promise<{ owner: number[], other: number[] }> {
  const room = 'bench-reads'
  const first = cluster.nodes[0] as Cluster['nodes'][number]
  const poster = chatClient(first.node.grpc, cluster.token)
  for (let i = 0; i < 50; i++) await poster.call('Post', { room, text: `read me ${i}` })
  poster.close()
  const ownerId = (await api<{ node: string }>(first.node, `/actors/room/${room}`)).node
  const owner = cluster.nodes.find((n) => n.peerId === ownerId) as Cluster['nodes'][number]
  const other = cluster.nodes.find((n) => n.peerId !== ownerId) as Cluster['nodes'][number]
  const times = async (node: Cluster['nodes'][number]): Promise<number[]> => {
    const client = chatClient(node.node.grpc, cluster.token)
    try {
      for (let i = 0; i < READS / 10; i++) await client.call('History', { room, after: 0, limit: 50 })
      const out: number[] = []
      for (let i = 0; i < READS; i++) {
        const t = performance.now()
        await client.call('History', { room, after: 0, limit: 50 })
        out.push(performance.now() - t)
      }
      return out
    } finally {
      client.close()
    }
  }
  return { owner: await times(owner), other: await times(other) }
}

/** SIGKILLs the owner of a room and times how long until a post to it is acknowledged again
 * through another node. */
async function failover (cluster: Cluster, round: number, log: (line: string) => void): Promise<number> {
  const room = `failover-${round}`
  const first = cluster.nodes[0] as Cluster['nodes'][number]
  const warm = chatClient(first.node.grpc, cluster.token)
  await warm.call('Post', { room, text: 'before' })
  warm.close()
  const owner = (await api<{ node: string }>(first.node, `/actors/room/${room}`)).node
  const victim = cluster.nodes.find((n) => n.peerId === owner) as Cluster['nodes'][number]
  const asker = cluster.nodes.find((n) => n !== victim) as Cluster['nodes'][number]
  const client = chatClient(asker.node.grpc, cluster.token)
  try {
    const killed = performance.now()
    await victim.node.stop('SIGKILL', 10_000)
    let ms = FAILOVER_LIMIT_MS
    const clientId = randomUUID()
    while (performance.now() - killed < FAILOVER_LIMIT_MS) {
      try {
        await client.call('Post', { room, text: 'after', clientId })
        ms = performance.now() - killed
        break
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
    log(`  failover ${round}: ${ms.toFixed(0)} ms (owner ${victim.peerId.slice(-6)} killed)`)
    // the killed node comes back on its data dir, and the cluster sees it up before the next try
    const joinAt = asker.p2p
    const args = victim.args.filter((a, i, all) => a !== '--join' && all[i - 1] !== '--join')
    victim.node = await startNodeProcess(victim.dir, [...args, '--join', joinAt], 40_000)
    const ready = victim.node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    victim.p2p = (ready?.p2p as string[] | undefined)?.[0] ?? victim.p2p
    for (const n of cluster.nodes) await until('the restarted node up everywhere', async () => (await api<Array<{ status: string }>>(n.node, '/nodes')).filter((m) => m.status === 'up').length === NODES)
    return ms
  } finally {
    client.close()
  }
}

export const replicationBench: Bench = {
  name: 'replication',
  description: 'posts/s and ack latency with R=3 W=2 vs R=1 on three nodes; failover time after SIGKILL of a room\'s owner; repair of 1% divergence vs a full copy, anti-entropy bytes when equal, scrub MiB/s',
  async run (log) {
    // Merkle-checked replicas (issue 13): in one process, on LevelDB
    const repair = await repairFigures(log)
    const results: Record<number, { rates: number[], latencies: number[] }> = { 3: { rates: [], latencies: [] }, 1: { rates: [], latencies: [] } }
    let failovers: number[] = []
    let reads = { owner: [] as number[], other: [] as number[] }
    for (const r of [3, 1]) {
      const cluster = await startCluster(r, log)
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const { rate, latencies } = await posting(cluster)
          log(`  R=${r} round ${round + 1}: ${rate.toFixed(0)} posts/s, p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`)
          results[r]?.rates.push(rate)
          results[r]?.latencies.push(...latencies)
        }
        if (r === 3) {
          reads = await reading(cluster)
          log(`  History p50: ${percentile(reads.other, 50).toFixed(2)} ms through another node, ${percentile(reads.owner, 50).toFixed(2)} ms through the owner`)
          failovers = []
          for (let i = 0; i < FAILOVERS; i++) failovers.push(await failover(cluster, i, log))
        }
      } finally {
        await cluster.stop()
      }
    }
    const r3 = results[3] as { rates: number[], latencies: number[] }
    const r1 = results[1] as { rates: number[], latencies: number[] }
    const figures: Figure[] = [
      figure('posts/s, R=3 W=2 (3 nodes, 64 in flight)', 'posts/s', median(r3.rates), 'R=1 on the same nodes', median(r1.rates), '>= 0.75'),
      figure('post ack p50, R=3 W=2', 'ms (lower is better)', percentile(r3.latencies, 50), 'R=1', percentile(r1.latencies, 50)),
      figure('post ack p99, R=3 W=2', 'ms (lower is better)', percentile(r3.latencies, 99), 'R=1', percentile(r1.latencies, 99)),
      figure('History p50 through a non-owner, R=3 W=2', 'ms (lower is better)', percentile(reads.other, 50), 'through the room\'s owner', percentile(reads.owner, 50)),
      figure('History p99 through a non-owner, R=3 W=2', 'ms (lower is better)', percentile(reads.other, 99), 'through the room\'s owner', percentile(reads.owner, 99)),
      figure('failover after SIGKILL of the owner, p50', 'ms (lower is better)', median(failovers), 'the goal (Orleans detects in ~15 s, Akka SBR waits 20 s)', 2_000, '<= 2000 ms'),
      ...repair
    ]
    return figures
  }
}
