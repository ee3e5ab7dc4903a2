import type { Registry } from 'prom-client'
import { scrapedCounter } from './scraped-metric.ts'

/** What auditMetrics reads of the audit trail's counters (node/admin AuditTrail.stats). */
export interface AuditStatsView {
  readonly written: number
  readonly failures: number
  readonly dropped: number
}

/** The audit trail's counters, read at scrape time. */
export function auditMetrics (registry: Registry, stats: AuditStatsView): void {
  scrapedCounter(registry, 'plexi_audit_records_total', 'Admin actions and failed admin authentications recorded in the audit trail by this node', () => stats.written)
  scrapedCounter(registry, 'plexi_audit_failures_total', 'Audit records this node could not write (logged; the request was answered anyway)', () => stats.failures)
  scrapedCounter(registry, 'plexi_audit_dropped_total', 'Failed admin authentications left out of the audit trail (over 30 a minute on this node)', () => stats.dropped)
}
