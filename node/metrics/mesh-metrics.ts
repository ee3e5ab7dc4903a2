import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge, scrapedLabelledCounter, scrapedLabelledGauge } from './scraped-metric.ts'

/** What meshMetrics reads of the actor transport's counters (node/mesh TransportStats). */
export interface TransportStatsView {
  readonly writes: number
  readonly framesSent: number
  readonly framesReceived: number
  readonly envelopesSent: number
  readonly envelopesReceived: number
  readonly forwarded: number
  readonly framesRefused: number
  /** Envelopes sent by what they carry (node/mesh EnvelopeKinds: at most 64 kinds). */
  readonly envelopeKinds?: { entries (): Iterable<readonly [string, number]> }
}

/** What meshMetrics reads of the node's cluster (node/mesh Cluster); a lone node has no
 * transport. */
export interface MeshStatsView {
  members (): Iterable<{ readonly status: string }>
  readonly transport: { readonly stats: TransportStatsView, queued (): Iterable<{ readonly bytes: number }> } | undefined
  /** What membership sent (node/mesh P2pHost.membershipSent); undefined: a lone node. */
  readonly membershipSent?: () => { readonly pings: number, readonly pingReqs: number, readonly records: number, readonly alerts: number } | undefined
  /** The dials this node made to keep connected (node/mesh Redialer); undefined: a lone node. */
  readonly dials?: () => { readonly started: number, readonly connected: number, readonly failed: number, readonly timedOut: number } | undefined
}

/** Member statuses always exported, at zero too. */
const STATUSES = ['joining', 'up', 'suspect', 'draining', 'down'] as const

/** The mesh: members by status, and the actor transport's traffic, read at scrape time. */
export function meshMetrics (registry: Registry, mesh: MeshStatsView): void {
  scrapedLabelledGauge(registry, 'plexi_mesh_members', 'Other members this node knows, by status', ['status'], () => {
    const count = new Map<string, number>(STATUSES.map((s) => [s, 0]))
    for (const m of mesh.members()) count.set(m.status, (count.get(m.status) ?? 0) + 1)
    return [...count].map(([status, n]) => [{ status }, n] as const)
  })
  // a lone node (no cluster key) exports the same series at zero: dashboards and alerts need not
  // care which kind of node they scrape
  const transport = mesh.transport
  const stats: TransportStatsView = transport?.stats ?? { writes: 0, framesSent: 0, framesReceived: 0, envelopesSent: 0, envelopesReceived: 0, forwarded: 0, framesRefused: 0 }
  scrapedCounter(registry, 'plexi_mesh_writes_total', 'Writes to actor protocol streams (each holds one or more frames)', () => stats.writes)
  scrapedCounter(registry, 'plexi_mesh_frames_sent_total', 'Actor protocol frames sent', () => stats.framesSent)
  scrapedCounter(registry, 'plexi_mesh_frames_received_total', 'Actor protocol frames received', () => stats.framesReceived)
  scrapedCounter(registry, 'plexi_mesh_envelopes_sent_total', 'Messages, replies and hints sent to other nodes', () => stats.envelopesSent)
  scrapedLabelledCounter(registry, 'plexi_mesh_envelopes_sent_by_kind_total', 'Envelopes sent to other nodes by what they carry: entity TYPE MESSAGE, actor PATH MESSAGE [OP], reply, failure, owner',
    ['kind'], () => [...(stats.envelopeKinds?.entries() ?? [])].map(([kind, n]) => [{ kind }, n] as const))
  scrapedCounter(registry, 'plexi_mesh_envelopes_received_total', 'Messages, replies and hints received from other nodes', () => stats.envelopesReceived)
  scrapedCounter(registry, 'plexi_mesh_forwarded_total', 'Entity messages forwarded once to their owner (the sender\'s view was stale)', () => stats.forwarded)
  scrapedCounter(registry, 'plexi_mesh_frames_refused_total', 'Frames that broke the protocol; each closed its stream', () => stats.framesRefused)
  scrapedLabelledCounter(registry, 'plexi_mesh_membership_sent_total', 'Membership messages this node sent: ping (a probe), ping-req (a probe asked of a helper), record (its member record published), alert (a member that does not answer, told); each published record or alert is forwarded by gossipsub to a few peers',
    ['kind'], () => {
      const sent = mesh.membershipSent?.() ?? { pings: 0, pingReqs: 0, records: 0, alerts: 0 }
      return [[{ kind: 'ping' }, sent.pings], [{ kind: 'ping-req' }, sent.pingReqs], [{ kind: 'record' }, sent.records], [{ kind: 'alert' }, sent.alerts]] as const
    })
  scrapedLabelledCounter(registry, 'plexi_mesh_dials_total', 'Dials this node made to stay connected (join addresses and members not connected): started, connected, failed, and timed-out (failed: no answer within the dial timeout)',
    ['outcome'], () => {
      const d = mesh.dials?.() ?? { started: 0, connected: 0, failed: 0, timedOut: 0 }
      return [[{ outcome: 'started' }, d.started], [{ outcome: 'connected' }, d.connected], [{ outcome: 'failed' }, d.failed], [{ outcome: 'timed-out' }, d.timedOut]] as const
    })
  scrapedGauge(registry, 'plexi_mesh_queued_bytes', 'Bytes waiting to be sent to other nodes',
    () => [...(transport?.queued() ?? [])].reduce((sum, q) => sum + q.bytes, 0))
}
