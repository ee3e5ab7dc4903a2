import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge } from './scraped-metric.ts'

/** What rosterVersionMetrics reads (node/replication RosterFollower and RosterHistory). */
export interface RosterVersionsView {
  readonly latest: () => number | undefined
  readonly stats: { readonly proposed: number, readonly refused: number, readonly formed: number, readonly caughtUp: number, readonly failed: number, readonly configsAdopted: number }
  /** The roster version the partitions' configuration versions are worked out at (undefined: not known). */
  readonly configsAt?: () => number | undefined
}

/** Roster versions (docs/replication.md, "Roster versions"), read at scrape time: the latest one this
 * node applied, and what its follower did. */
export function rosterVersionMetrics (registry: Registry, view: RosterVersionsView): void {
  scrapedGauge(registry, 'plexi_roster_version', 'The latest storage roster version this node applied (0: none yet); every member names the same once changes settled', () => view.latest() ?? 0)
  scrapedCounter(registry, 'plexi_roster_changes_total', 'Roster changes this node proposed as the keeper\'s node and the keeper made', () => view.stats.proposed)
  scrapedCounter(registry, 'plexi_roster_changes_refused_total', 'Roster changes refused because the roster moved on under them (looked at again)', () => view.stats.refused)
  scrapedCounter(registry, 'plexi_roster_catch_ups_total', 'Times this node read roster versions a member had applied and it had not', () => view.stats.caughtUp)
  scrapedGauge(registry, 'plexi_roster_configs_version', 'The roster version this node\'s partitions\' configuration versions are worked out at (0: not known here yet: a node that joined takes them from a member); equal to plexi_roster_version once known', () => view.configsAt?.() ?? 0)
  scrapedCounter(registry, 'plexi_roster_configs_adopted_total', 'Times this node took its partitions\' configuration versions from a member (it had skipped versions)', () => view.stats.configsAdopted)
  scrapedCounter(registry, 'plexi_roster_follow_failures_total', 'Roster follow steps that failed (the keeper or a member out of reach; tried again a second later)', () => view.stats.failed)
}

/** What settling hand-offs reads (PartitionSettler on the keeper's node; every node's configurations). */
export interface SettleView {
  readonly stats: { readonly settled: number, readonly versions: number, readonly notYet: number, readonly failed: number }
  /** Partitions with earlier sets not settled, in this node's configurations (undefined: not known). */
  readonly unsettled: () => number | undefined
}

export function settleMetrics (registry: Registry, view: SettleView): void {
  scrapedGauge(registry, 'plexi_roster_unsettled_partitions', 'Partitions whose hand-off is not settled in this node\'s roster (their owners fence their earlier replica sets too; -1: not known here)', () => view.unsettled() ?? -1)
  scrapedCounter(registry, 'plexi_roster_settled_total', 'Partition hand-offs this node settled and recorded as the roster keeper\'s node', () => view.stats.settled)
  scrapedCounter(registry, 'plexi_roster_settle_versions_total', 'Roster versions this node made to record settled hand-offs (each names up to 1,024 partitions)', () => view.stats.versions)
  scrapedCounter(registry, 'plexi_roster_settle_waits_total', 'Times a partition\'s hand-off could not be settled yet (a node behind or out of reach; tried again a second later)', () => view.stats.notYet)
  scrapedCounter(registry, 'plexi_roster_settle_failures_total', 'Settle records the roster keeper did not make (tried again)', () => view.stats.failed)
}
