import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge } from './scraped-metric.ts'

/** What rosterVersionMetrics reads (node/replication RosterFollower and RosterHistory). */
export interface RosterVersionsView {
  readonly latest: () => number | undefined
  readonly stats: { readonly proposed: number, readonly refused: number, readonly formed: number, readonly caughtUp: number, readonly failed: number }
}

/** Roster versions (docs/replication.md, "Roster versions"), read at scrape time: the latest one this
 * node applied, and what its follower did. */
export function rosterVersionMetrics (registry: Registry, view: RosterVersionsView): void {
  scrapedGauge(registry, 'plexi_roster_version', 'The latest storage roster version this node applied (0: none yet); every member names the same once changes settled', () => view.latest() ?? 0)
  scrapedCounter(registry, 'plexi_roster_changes_total', 'Roster changes this node proposed as the keeper\'s node and the keeper made', () => view.stats.proposed)
  scrapedCounter(registry, 'plexi_roster_changes_refused_total', 'Roster changes refused because the roster moved on under them (looked at again)', () => view.stats.refused)
  scrapedCounter(registry, 'plexi_roster_catch_ups_total', 'Times this node read roster versions a member had applied and it had not', () => view.stats.caughtUp)
  scrapedCounter(registry, 'plexi_roster_follow_failures_total', 'Roster follow steps that failed (the keeper or a member out of reach; tried again a second later)', () => view.stats.failed)
}
