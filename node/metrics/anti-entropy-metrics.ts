import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge, scrapedLabelledCounter } from './scraped-metric.ts'

/** What antiEntropyMetrics reads of anti-entropy (node/replication AntiEntropy.stats). */
export interface AntiEntropyStatsView {
  readonly stats: {
    readonly passes: number
    readonly lastPassAt: number
    readonly partitionsDiffering: number
    readonly recordsFilled: number
    readonly recordsRepaired: number
    readonly bytes: number
    readonly divergent: number
    readonly failures: number
  }
}

/** Anti-entropy between this node's replicas and the others', read at scrape time. The records it
 * repaired share one counter with those scrub repaired (`kind="scrub"`, read from
 * `scrubRepaired`; 0 while no scrub runs). */
export function antiEntropyMetrics (registry: Registry, ae: AntiEntropyStatsView, scrubRepaired: () => number = () => 0): void {
  scrapedCounter(registry, 'plexi_replication_anti_entropy_passes_total', 'Anti-entropy passes over this node\'s partitions', () => ae.stats.passes)
  scrapedCounter(registry, 'plexi_replication_divergence_found_total', 'Partitions whose Merkle root differed from the replica compared with, per pass', () => ae.stats.partitionsDiffering)
  scrapedLabelledCounter(registry, 'plexi_replication_records_repaired_total',
    'Records this node took from another replica: missed (after its head, it was down), damaged (missing or failing their seal before its head: anti-entropy), scrub (failing their seal: scrub)',
    ['kind'],
    () => [[{ kind: 'missed' }, ae.stats.recordsFilled], [{ kind: 'damaged' }, ae.stats.recordsRepaired], [{ kind: 'scrub' }, scrubRepaired()]])
  scrapedCounter(registry, 'plexi_replication_bytes_moved_total', 'Bytes anti-entropy took from other replicas (tree hashes, listings, digests and records)', () => ae.stats.bytes)
  scrapedCounter(registry, 'plexi_replication_divergent_entities_total', 'Entities whose log parted from another replica\'s, found by anti-entropy and left to their owners', () => ae.stats.divergent)
  scrapedCounter(registry, 'plexi_replication_anti_entropy_failures_total', 'Partitions anti-entropy could not compare (the other replica did not answer, or answered nonsense)', () => ae.stats.failures)
  scrapedGauge(registry, 'plexi_replication_last_full_pass_seconds', 'Unix time when the last anti-entropy pass over this node\'s partitions ended (0: none yet)', () => ae.stats.lastPassAt / 1000)
}
