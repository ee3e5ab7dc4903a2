import { awaitCaughtUp } from '../helpers/caught-up.ts'
import type { CatchUpRow } from '../helpers/caught-up.ts'
import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chatClient, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const FAILURE_TIMEOUT = 1_500

interface Running extends NodeProcess { readonly peerId: string, readonly p2p: string }
interface Replica { peerId: string, records: number | null, merkleRoot: string | null, lastRepair?: string | null, recordsRepaired?: number | null }
interface Partition { partition: number, replicas: Replica[] }

async function api<T> (node: Running, method: string, path: string, body?: unknown): Promise<{ status: number, body: T }> {
  const res = await fetch(`http://${node.admin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${node.adminToken}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) })
  })
  return { status: res.status, body: await res.json() as T }
}

describe('anti-entropy, repair and scrub across node processes (real libp2p, gRPC and LevelDB on loopback)', function () {
  this.timeout(180_000)
  const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  const nodes: Running[] = []
  const clients: Array<{ close: () => void }> = []
  let keyFile = ''

  async function start (dir: string, join_?: Running): Promise<Running> {
    // anti-entropy every 500 ms: the test waits on its result, not on a clock
    const args = ['--role', 'chat,storage', '--cluster-key-file', keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--failure-timeout', String(FAILURE_TIMEOUT),
      '--anti-entropy-interval', '500', ...(join_ === undefined ? [] : ['--join', join_.p2p])]
    const node = await startNodeProcess(dir, args)
    const ready = node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    const running = Object.assign(node, { peerId: ready?.peerId as string, p2p: (ready?.p2p as string[])[0] as string })
    nodes.push(running)
    return running
  }

  after(async () => {
    for (const c of clients) c.close()
    for (const node of nodes) await node.stop('SIGTERM', 20_000).catch(() => undefined)
    for (const dir of dirs) await dir.remove()
  })

  it('should bring a replica that was down while 1,000 posts were written level with the others (roots equal) with no client reading the rooms, and repair and scrub on demand', async () => {
    const keyDir = await tempDir()
    dirs.push(keyDir)
    keyFile = join(keyDir.path, 'cluster.key')
    await writeFile(keyFile, (await runCli(['cluster', 'keygen'])).stdout, { mode: 0o600 })
    const dataDirs = await Promise.all([0, 1, 2].map(async () => await tempDir()))
    dirs.push(...dataDirs)
    const a = await start(dataDirs[0]?.path as string)
    const b = await start(dataDirs[1]?.path as string, a)
    let c = await start(dataDirs[2]?.path as string, a)
    const up = async (node: Running, n: number): Promise<boolean> => (await api<Array<{ status: string }>>(node, 'GET', '/nodes')).body.filter((m) => m.status === 'up').length === n
    for (const node of [a, b, c]) await waitFor(() => up(node, 3), 'three members up', { timeout: 20_000, interval: 100 })
    // each a full replica of its partitions before c goes down (caught-up.ts)
    await awaitCaughtUp(async () => (await api<CatchUpRow[]>(a, 'GET', '/storage')).body, undefined, [a, b, c].map((n) => n.peerId))
    const added = await runCli(['admin', 'users', 'add', 'alice', '--json', '--no-save', '--admin-addr', a.admin, '--data-dir', a.dataDir])
    expect(added.code, added.stderr).to.equal(0)
    const token = (JSON.parse(added.stdout) as { token: string }).token

    // c goes down (its data kept); 1,000 posts land on a and b meanwhile
    await c.stop('SIGTERM', 20_000)
    await waitFor(async () => (await api<Array<{ peerId: string, status: string }>>(a, 'GET', '/nodes')).body.find((m) => m.peerId === c.peerId)?.status === 'down',
      'c down', { timeout: 20_000, interval: 50 })
    const chat = chatClient(a.grpc, token)
    clients.push(chat)
    const rooms = Array.from({ length: 10 }, (_, i) => `while-down-${i}`)
    for (let i = 0; i < 100; i++) {
      await Promise.all(rooms.map(async (room) => {
        // a room owned by b while a has not yet heard it is there answers UNAVAILABLE: retried
        for (let tries = 0; ; tries++) {
          try {
            return await chat.call('Post', { room, text: `post ${i}` })
          } catch (err) {
            if ((err as { code?: number }).code !== 14 || tries >= 20) throw err
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
        }
      }))
    }
    chat.close()

    // c returns on the same data dir; nobody reads the rooms: anti-entropy levels it (and the rooms'
    // owners, whose journals are still open, write to it again once it is back)
    c = await start(dataDirs[2]?.path as string, a)
    for (const node of [a, b, c]) await waitFor(() => up(node, 3), 'three members up again', { timeout: 30_000, interval: 100 })
    const level = async (): Promise<boolean> => {
      const { body } = await api<Partition[]>(a, 'GET', '/partitions?limit=1000')
      return body.every((p) => p.replicas.length === 3 && new Set(p.replicas.map((r) => r.merkleRoot)).size === 1 && p.replicas.every((r) => r.merkleRoot !== null))
    }
    await waitFor(level, 'every partition\'s replicas to have equal Merkle roots', { timeout: 60_000, interval: 250 })
    const replicasOfC = async (): Promise<Partition['replicas']> => (await api<Partition[]>(a, 'GET', '/partitions?limit=1000')).body.flatMap((p) => p.replicas.filter((r) => r.peerId === c.peerId))
    const ofC = await replicasOfC()
    expect(ofC.reduce((sum, r) => sum + (r.records ?? 0), 0)).to.be.at.least(1_000)
    // the replicas say when they were last compared (c's first passes may come after the owners
    // levelled it)
    await waitFor(async () => (await replicasOfC()).some((r) => typeof r.lastRepair === 'string'), 'c to have compared a partition with its peers', { timeout: 60_000, interval: 250 })

    // a repair job on demand: everything is equal now, so nothing moves
    const repair = await runCli(['admin', 'repair', '--json', '--admin-addr', b.admin, '--data-dir', b.dataDir], { timeout: 120_000 })
    expect(repair.code, repair.stderr).to.equal(0)
    const job = JSON.parse(repair.stdout) as { state: string, partitions: number, partitionsDone: number, comparisons: number, recordsFilled: number, recordsRepaired: number, failures: string[] }
    expect(job).to.deep.include({ state: 'done', partitionsDone: job.partitions, recordsFilled: 0, recordsRepaired: 0, failures: [] })
    // each partition's 3 replicas, each compared with the 2 others
    expect(job.comparisons).to.equal(job.partitions * 3 * 2)
    const one = await runCli(['admin', 'repair', '--partition', '3', '--admin-addr', b.admin, '--data-dir', b.dataDir], { timeout: 120_000 })
    expect(one.code, one.stderr).to.equal(0)
    expect(one.stdout).to.match(/repair-\d+ done: partition 3, [1-9]\d* replica comparisons; 0 records filled/)
    const bad = await runCli(['admin', 'repair', '--partition', '99999', '--admin-addr', b.admin, '--data-dir', b.dataDir])
    expect(bad.code).to.not.equal(0)
    expect((await api<{ code: string }>(b, 'POST', '/repairs', { partition: 'all' })).status).to.equal(400)
    expect((await api<{ code: string }>(b, 'GET', '/repairs/repair-424242')).status).to.equal(404)

    // scrub on demand: every node reads its store, finds nothing damaged
    const scrub = await runCli(['admin', 'scrub', '--json', '--admin-addr', c.admin, '--data-dir', c.dataDir], { timeout: 120_000 })
    expect(scrub.code, scrub.stderr).to.equal(0)
    const rows = JSON.parse(scrub.stdout) as Array<{ peerId: string, answered: boolean, running: boolean, passes: number, scanned: number, corruptFound: number, quarantined: number }>
    expect(rows.map((r) => r.peerId).sort()).to.deep.equal([a, b, c].map((n) => n.peerId).sort())
    for (const r of rows) expect(r).to.deep.include({ answered: true, running: false, corruptFound: 0, quarantined: 0 })
    expect(rows.every((r) => r.passes >= 1 && r.scanned >= 1_000)).to.equal(true)
    const status = await runCli(['admin', 'scrub', '--status', '--admin-addr', c.admin, '--data-dir', c.dataDir])
    expect(status.stdout).to.match(/NODE\s+STATE\s+PROGRESS/)
    // and the metrics say so
    const metrics = await (await fetch(`http://${c.admin}/metrics`)).text()
    expect(metrics).to.match(/^plexi_replication_scrub_passes_total [1-9]/m)
    expect(metrics).to.match(/^plexi_replication_anti_entropy_passes_total [1-9]/m)
    expect(metrics).to.include('plexi_replication_records_repaired_total{kind="missed"}')
    expect(metrics).to.match(/^plexi_replication_quarantined_values 0$/m)
    expect(metrics).to.match(/^plexi_replication_nodes_replaced_total 0$/m)
    // and every node holds its partitions whole (caught up: a new cluster has little to pull)
    await waitFor(async () => /^plexi_replication_learner_partitions 0$/m.test(await (await fetch(`http://${c.admin}/metrics`)).text()), 'c to catch up on its partitions', { timeout: 60_000, interval: 100 })
    expect(metrics).to.match(/^plexi_replication_corrupt_records_found_total 0$/m)
  })
})
