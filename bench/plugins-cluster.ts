/**
 * Real `plexi node start --role all` processes for the plugins bench, joined by one more member in
 * this process (the node's parts up to its tools, role backup: it owns no room and no replica) from
 * which the bench calls tools as the cluster calls them: a tool call on a given member goes to its
 * `/plugins` actor, the ToolProvider's calls pick a member that runs the plugin. Plugins are
 * installed, upgraded and rolled back through a member's admin API, as `plexi admin plugins` does.
 */
import { PLUGINS_PATH } from '../node/plugins/index.ts'
import type { PluginsMsg } from '../node/plugins/index.ts'
import type { ToolResult } from '../protocols/index.ts'
import { startPartsUpTo } from '../test/helpers/node-parts-fixture.ts'
import type { StartedParts } from '../test/helpers/node-parts-fixture.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { ProcessCluster } from '../test/helpers/process-cluster.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { waitFor } from '../test/helpers/wait-for.ts'

/** A member that misses probes for this long is down: long, so that a loaded 2-core machine does
 * not see members flap while it measures. */
const FAILURE_TIMEOUT_MS = 5_000

export interface BenchCluster {
  readonly cluster: ProcessCluster
  readonly slots: readonly NodeSlot[]
  /** The in-process member the bench calls tools from. */
  readonly observer: StartedParts
  close (): Promise<void>
}

/** `n` node processes (role all, rate limits lifted) and the observer, every member seeing every
 * other up. `args`: more flags for the processes. */
export async function benchCluster (n: number, args: readonly string[] = []): Promise<BenchCluster> {
  const cluster = new ProcessCluster({ failureTimeout: FAILURE_TIMEOUT_MS, args })
  let observer: StartedParts | undefined
  try {
    await cluster.start(Array.from({ length: n }, () => 'all'))
    const first = cluster.slots[0] as NodeSlot
    observer = await startPartsUpTo('tools', {
      flags: { 'cluster-key-file': cluster.keyFile, 'p2p-listen': '/ip4/127.0.0.1/tcp/0', join: [first.p2p], role: 'backup', 'failure-timeout': FAILURE_TIMEOUT_MS }
    })
    const seen = observer.c.get('cluster')
    await waitFor(() => cluster.slots.every((s) => seen.members().some((m) => m.peerId === s.peerId && m.status === 'up')), 'the observer to see every node up', { timeout: 30_000, interval: 50 })
    // ready, as a node that heard the cluster becomes (node/root node-readiness.ts): the others
    // then see it up
    observer.c.get('state').becomeReady()
    seen.refresh()
    observer.c.get('p2p')?.announce()
    await cluster.awaitUp(n + 1)
  } catch (err) {
    await observer?.stop()
    await cluster.close()
    throw err
  }
  const joined = observer
  return {
    cluster,
    slots: cluster.slots,
    observer: joined,
    close: async () => {
      await joined.stop()
      await cluster.close()
    }
  }
}

/** POST /api/v1/plugins on `node`: the package stored and every plugins-role member told. */
export async function installPackage (node: NodeProcess, bytes: Uint8Array): Promise<void> {
  const res = await fetch(`http://${node.admin}/api/v1/plugins`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/gzip' },
    body: bytes,
    signal: AbortSignal.timeout(30_000)
  })
  if (!res.ok) throw new Error(`bench: install on ${node.admin}: ${res.status} ${await res.text()}`)
}

/** An admin change (`upgrade`, `rollback`, `DELETE`) of plugin `name` through `slot`. */
export async function pluginChange (b: BenchCluster, slot: NodeSlot, name: string, change: 'upgrade' | 'rollback' | 'remove', version?: string): Promise<void> {
  if (change === 'remove') await b.cluster.api(slot, `/plugins/${name}`, { method: 'DELETE' })
  else await b.cluster.api(slot, `/plugins/${name}/${change}`, { method: 'POST', ...(version !== undefined && { body: { version } }) })
}

interface NodeRow { readonly node: string, readonly version: string | null, readonly state: string }

/** Waits until every node process runs `version` of `name` and nothing else of it (bounded). */
export async function awaitVersionEverywhere (b: BenchCluster, name: string, version: string, timeout = 60_000): Promise<void> {
  await waitFor(async () => {
    const plugin = await b.cluster.api<{ nodes: NodeRow[] }>(b.slots[0] as NodeSlot, `/plugins/${name}`)
    return b.slots.every((s) => plugin.nodes.some((row) => row.node === s.peerId && row.version === version && row.state === 'running'))
  }, `${name} ${version} running on every node`, { timeout, interval: 50 })
}

/** One tool call on `peer`'s `/plugins` actor, as a member without the plugin makes it. */
export async function callOn (b: BenchCluster, peer: string, name: string, args: Readonly<Record<string, unknown>>, deadlineMs = 5_000): Promise<ToolResult> {
  const system = b.observer.c.get('system')
  return await system.actorAt<PluginsMsg>({ node: peer, path: PLUGINS_PATH })
    .ask<ToolResult>((replyTo) => ({ type: 'call', call: { id: 'bench', name, arguments: args }, deadlineMs, replyTo }), { timeout: deadlineMs + 1_000 })
}

/**
 * Calls `name` on `peer` until it is answered (the plugin not there yet is refused at once: tried
 * again 5 ms later), and resolves with the time it was, performance.now(). Bounded by `timeout`.
 */
export async function firstAnswer (b: BenchCluster, peer: string, name: string, args: Readonly<Record<string, unknown>>, timeout = 30_000): Promise<number> {
  const end = performance.now() + timeout
  let last: unknown
  while (performance.now() < end) {
    try {
      const r = await callOn(b, peer, name, args, 2_000)
      if (!r.isError) return performance.now()
      last = r.text
    } catch (err) {
      last = err
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`bench: ${name} never answered on ${peer} within ${timeout} ms (last: ${String(last)})`)
}
