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
