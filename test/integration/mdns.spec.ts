import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

/**
 * mDNS multicasts, so it runs in a network namespace of its own with only a loopback interface
 * (multicast enabled on it): nothing leaves the namespace. Creating one needs root and `ip`;
 * without them the test is skipped and says why.
 */
describe('mDNS discovery (two node processes in a network namespace of their own)', function () {
  this.timeout(60_000)
  const ns = `plexi-mdns-${process.pid}`
  let created = false
  const dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  const nodes: NodeProcess[] = []

  before(function () {
    try {
      execFileSync('ip', ['netns', 'add', ns], { stdio: 'pipe' })
      created = true
      execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up', 'multicast', 'on'], { stdio: 'pipe' })
      execFileSync('ip', ['netns', 'exec', ns, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', 'lo'], { stdio: 'pipe' })
    } catch (err) {
      this.skip()   // not root, or no `ip`: cannot make a namespace here
      void err
    }
  })

  after(async () => {
    for (const node of nodes) await node.stop('SIGTERM').catch(() => undefined)
    for (const dir of dirs) await dir.remove()
    if (created) execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' })
  })

  it('should find a node holding the same key without --join, and form one cluster with it', async () => {
    const keyDir = await tempDir()
    dirs.push(keyDir)
    const key = join(keyDir.path, 'cluster.key')
    await writeFile(key, (await runCli(['cluster', 'keygen'])).stdout, { mode: 0o600 })
    const inNs = ['ip', 'netns', 'exec', ns]
    // (storage on both: neither forms a roster version, which two nodes started without --join
    // would each do, forking for good)
    for (const role of ['chat,storage', 'ai,storage']) {
      const dir = await tempDir()
      dirs.push(dir)
      nodes.push(await startNodeProcess(dir.path, ['--role', role, '--cluster-key-file', key, '--mdns', '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--failure-timeout', '1500'], 40_000, inNs))
    }
    const [a, b] = nodes as [NodeProcess, NodeProcess]
    await waitFor(() => [a, b].some((n) => n.logs.some((l) => typeof l.msg === 'string' && l.msg.endsWith('(found by mDNS)'))), 'a node found by mDNS', { timeout: 30_000, interval: 50 })
    await waitFor(async () => {
      const list = await runCli(['admin', 'nodes', '--json', '--admin-addr', a.admin, '--data-dir', a.dataDir], { prefix: inNs })
      return list.code === 0 && (JSON.parse(list.stdout) as Array<{ status: string }>).filter((m) => m.status === 'up').length === 2
    }, 'both members up', { timeout: 20_000, interval: 200 })
    // (a node forms version 1 once settled: both are, in both views, before the versions are read)
    const members = async (n: NodeProcess): Promise<Array<{ roles: string[], settled?: boolean, rosterVersion?: number }>> =>
      JSON.parse((await runCli(['admin', 'nodes', '--json', '--admin-addr', n.admin, '--data-dir', n.dataDir], { prefix: inNs })).stdout) as Array<{ roles: string[], settled?: boolean, rosterVersion?: number }>
    await waitFor(async () => (await Promise.all([a, b].map(members))).every((l) => l.length === 2 && l.every((m) => m.settled === true)), 'both members settled in both views', { timeout: 30_000, interval: 200 })
    const list = await members(b)
    expect(list.map((m) => m.roles.join(',')).sort()).to.deep.equal(['ai,storage', 'chat,storage'])
    // both storage nodes hold partitions all the same (placement by the roster as heard)
    await waitFor(async () => {
      const parts = await runCli(['admin', 'partitions', '--json', '--admin-addr', a.admin, '--data-dir', a.dataDir], { prefix: inNs })
      return parts.code === 0 && new Set((JSON.parse(parts.stdout) as Array<{ replicas: Array<{ peerId: string }> }>).flatMap((p) => p.replicas.map((r) => r.peerId))).size === 2
    }, 'both storage nodes to hold partitions', { timeout: 20_000, interval: 200 })
    for (const n of [a, b]) expect((await members(n)).map((m) => m.rosterVersion), 'no roster version formed').to.deep.equal([undefined, undefined])
  })
})
