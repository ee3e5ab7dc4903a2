import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge } from './scraped-metric.ts'

/** What scrubMetrics reads of the scrubber (node/replication Scrubber.stats). */
export interface ScrubStatsView {
  readonly stats: {
    readonly passes: number
    readonly running: boolean
    readonly scanned: number
    readonly expected: number
    readonly bytes: number
    readonly corruptFound: number
    readonly repaired: number
    readonly quarantined: number
    readonly lastPassAt: number
  }
}

/** Scrub's passes over this node's store, read at scrape time (the records it repaired are
 * counted with anti-entropy's: antiEntropyMetrics' `scrubRepaired`). */
export function scrubMetrics (registry: Registry, scrub: ScrubStatsView): void {
  scrapedCounter(registry, 'plexi_replication_scrub_passes_total', 'Scrub passes over this node\'s store', () => scrub.stats.passes)
  scrapedCounter(registry, 'plexi_replication_scrub_bytes_total', 'Bytes scrub read and checked', () => scrub.stats.bytes)
  scrapedGauge(registry, 'plexi_replication_scrub_progress_ratio', 'How far the running scrub pass got (values checked / records held when it started; 1 between passes)',
    () => scrub.stats.running ? Math.min(1, scrub.stats.scanned / Math.max(1, scrub.stats.expected)) : 1)
  scrapedCounter(registry, 'plexi_replication_corrupt_records_found_total', 'Stored values whose SHA-256 seal failed when scrub or a read checked them', () => scrub.stats.corruptFound)
  scrapedGauge(registry, 'plexi_replication_quarantined_values', 'Damaged values quarantined and not yet repaired (as the last scrub pass left them)', () => scrub.stats.quarantined)
  scrapedGauge(registry, 'plexi_replication_scrub_last_pass_seconds', 'Unix time when the last scrub pass ended (0: none yet)', () => scrub.stats.lastPassAt / 1000)
}
