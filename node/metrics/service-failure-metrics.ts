import type { Registry } from 'prom-client'
import { scrapedLabelledCounter } from './scraped-metric.ts'

/** What serviceFailureMetrics reads (node/services ServiceFailures, one per node). */
export interface ServiceFailuresView {
  entries (): Iterable<readonly [string, number]>
}

/** Failed runs of the node's background services (node/services PeriodicService), by service,
 * read at scrape time: a service that keeps failing shows on a dashboard, not only in the one log
 * line its streak of failures gets. */
export function serviceFailureMetrics (registry: Registry, failures: ServiceFailuresView): void {
  scrapedLabelledCounter(registry, 'plexi_service_failures_total', 'Failed runs of the node\'s background services (anti-entropy, scrub, hand-off, audits, retention, stats…), by service; each streak of failures is logged once and retried with backoff', ['service'],
    () => [...failures.entries()].map(([service, n]) => [{ service }, n] as const))
}
