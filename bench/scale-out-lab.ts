/**
 * Where the scale-out bench's nodes run, and what it reads of them (bench/scale-out.ts).
 *
 * Each node in a network namespace of its own on one bridge (test/helpers/net-namespace.ts), so
 * each has an address and an interface of its own, as on separate machines: what a node sends is
 * its interface's transmit counters (`/proc/<pid>/net/dev`, eth0). Where a namespace cannot be made
 * (not root, no nftables), each node listens on a loopback address of its own (127.0.1.N) instead,
 * and a node's traffic is only what its own counters say (the mesh envelopes it sent).
 */
import { readFile } from 'node:fs/promises'
import { NetLab, netLabMissing } from '../test/helpers/net-namespace.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import type { NodePlacement, NodeSlot, ProcessCluster } from '../test/helpers/process-cluster.ts'

/** How the nodes are set apart, and what to close at the end. */
export interface Placement {
  readonly kind: 'namespaces' | 'loopback addresses'
  /** Why namespaces could not be made (loopback addresses only). */
  readonly why?: string
  readonly placement: NodePlacement
  close (): Promise<void>
}

/** Namespaces where the machine allows them, else a loopback address per node. */
export async function placeNodes (): Promise<Placement> {
  const missing = netLabMissing()
  if (missing === undefined) {
    const lab = await NetLab.create()
    return { kind: 'namespaces', placement: lab.placement(), close: async () => { await lab.close() } }
  }
  return {
    kind: 'loopback addresses',
    why: missing,
    placement: {
      place: async (index) => {
        const ip = `127.0.1.${index + 1}`
        return { prefix: [], args: ['--p2p-listen', `/ip4/${ip}/tcp/0`, '--grpc-listen', `${ip}:0`, '--admin-listen', `${ip}:0`, '--web-listen', `${ip}:0`] }
      },
      reach: async (_index: number, node: NodeProcess) => ({ grpc: node.grpc, admin: node.admin })
    },
    close: async () => {}
  }
}

/** What a node's interface sent so far (namespaces only: undefined on loopback, shared by all). */
export async function sentByInterface (pid: number): Promise<{ packets: number, bytes: number } | undefined> {
  const text = await readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => '')
  const line = text.split('\n').find((l) => l.trim().startsWith('eth0:'))
  if (line === undefined) return undefined
  // Inter-|   Receive (bytes packets errs drop fifo frame compressed multicast) | Transmit (bytes packets ...)
  const fields = line.slice(line.indexOf(':') + 1).trim().split(/\s+/).map(Number)
  return { bytes: fields[8] as number, packets: fields[9] as number }
}

/** CPU seconds a process has used (user + system), from /proc. */
export async function cpuSeconds (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // the fields after the command's closing parenthesis: utime is the 12th of them, stime the 13th
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(after[11]) + Number(after[12])) / 100
}

/** A counter's value in Prometheus text, its labelled series summed (0 when absent). */
export function metricSum (text: string, name: string, labels = ''): number {
  let sum = 0
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
    if (labels === '' || (m[1] ?? '').includes(labels)) sum += Number(m[2])
  }
  return sum
}

/** A member as GET /api/v1/nodes lists it (what the bench reads). */
interface Row { readonly peerId: string, readonly status: string, readonly load?: { readonly entities: number } }

/**
 * Polls every node of `slots` (each at most every `intervalMs`) until each lists `peer` with a
 * status that `wanted` accepts; resolves with the time (performance.now()) the last one did, or
 * rejects after `timeoutMs`. Each view's own time is when its poll first saw it.
 */
export async function inEveryView (cluster: ProcessCluster, slots: readonly NodeSlot[], peer: string, wanted: (status: string | undefined) => boolean,
  timeoutMs: number, intervalMs = 50): Promise<number> {
  const deadline = performance.now() + timeoutMs
  const seen = await Promise.all(slots.map(async (slot) => {
    while (performance.now() < deadline) {
      const rows = await cluster.api<Row[]>(slot, '/nodes').catch(() => undefined)
      if (rows !== undefined && wanted(rows.find((r) => r.peerId === peer)?.status)) return performance.now()
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
    throw new Error(`${slot.peerId} did not see ${peer} as wanted in ${timeoutMs} ms`)
  }))
  return Math.max(...seen)
}

/** Entities active on every member, as `slot`'s view of the cluster says. */
export async function entitiesActive (cluster: ProcessCluster, slot: NodeSlot): Promise<number> {
  const { members } = await cluster.api<{ members: Row[] }>(slot, '/cluster')
  return members.filter((m) => m.status === 'up').reduce((sum, m) => sum + (m.load?.entities ?? 0), 0)
}
