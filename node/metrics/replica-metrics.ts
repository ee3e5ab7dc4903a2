import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge } from './scraped-metric.ts'

/** What replicaMetrics reads of the node's replicas (node/replication's journal). */
export interface ReplicaStatsView {
  replicaStats (): { readonly fences: number, readonly appends: number, readonly records: number, readonly staleRefusals: number, readonly mismatches: number, readonly rewritten: number, readonly trims: number, readonly truncated: number, readonly versionRefusals: number }
  readonly opensWaiting: number
}

/** What this node's replicas do for owners (here and on other nodes), read at scrape time. */
export function replicaMetrics (registry: Registry, replicas: ReplicaStatsView): void {
  scrapedCounter(registry, 'plexi_replication_replica_fences_total', 'Fences (epoch promises asked) this node\'s replicas answered', () => replicas.replicaStats().fences)
  scrapedCounter(registry, 'plexi_replication_replica_records_total', 'Journal records this node\'s replicas stored for owners', () => replicas.replicaStats().records)
  scrapedCounter(registry, 'plexi_replication_stale_refusals_total', 'Appends this node\'s replicas refused because their owner\'s epoch was stale', () => replicas.replicaStats().staleRefusals)
  scrapedCounter(registry, 'plexi_replication_mismatches_total', 'Appends this node\'s replicas answered with "mismatch" (the owner resent from where the logs part)', () => replicas.replicaStats().mismatches)
  scrapedCounter(registry, 'plexi_replication_records_rewritten_total', 'Journal records this node\'s replicas replaced by a later revision (redactions, erasures: an owner\'s rewrite or anti-entropy)', () => replicas.replicaStats().rewritten)
  scrapedCounter(registry, 'plexi_replication_trims_total', 'Trims this node\'s replicas took (retention, erasure: records below a floor dropped; an owner\'s or anti-entropy\'s)', () => replicas.replicaStats().trims)
  scrapedCounter(registry, 'plexi_replication_records_truncated_total', 'Records this node\'s replicas dropped past an owner\'s head (an unacknowledged tail of an older owner, dropped at the current owner\'s word)', () => replicas.replicaStats().truncated)
  scrapedCounter(registry, 'plexi_replication_version_refusals_total', 'Owners\' requests this node\'s replicas refused because the owner\'s roster version of the partition was older than one they stored', () => replicas.replicaStats().versionRefusals)
  scrapedGauge(registry, 'plexi_replication_opens_waiting', 'Entity journals waiting for a turn to be taken (at most 32 at once per node)', () => replicas.opensWaiting)
}
