import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge } from './scraped-metric.ts'

/** What catchUpMetrics reads of replica moves (node/replication CatchUp.status). */
export interface CatchUpStatsView {
  readonly status: { readonly partitions: number, readonly caughtUp: number, readonly replaced: readonly string[] }
}

/** Replica moves: partitions still catching up here, nodes this node replaced, read at scrape
 * time. */
export function catchUpMetrics (registry: Registry, catchUp: CatchUpStatsView): void {
  scrapedGauge(registry, 'plexi_replication_learner_partitions', 'Partitions this node is a new replica of and still catches up on (it does not count as a full replica of them yet)', () => {
    const s = catchUp.status
    return s.partitions - s.caughtUp
  })
  scrapedCounter(registry, 'plexi_replication_nodes_replaced_total', 'Storage nodes this node found down past replica-replace-after and replaced', () => catchUp.status.replaced.length)
}
