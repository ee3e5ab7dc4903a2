import type { Registry } from 'prom-client'
import { scrapedGauge, scrapedLabelledCounter } from './scraped-metric.ts'

/** What clientLimitMetrics reads of the limits per client address (node/limits
 * ClientLimits.stats). */
export interface ClientLimitStatsView {
  readonly refused: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly failedAuthentications: Readonly<Record<string, number>>
  readonly streamsOpen: number
}

/** The limits per client address: refusals by endpoint and reason, failed authentications by
 * endpoint, streams held open, read at scrape time. Every series the stats hold exists from the
 * start, at zero, so that an alert on them has something to watch. */
export function clientLimitMetrics (registry: Registry, stats: ClientLimitStatsView): void {
  scrapedLabelledCounter(registry, 'plexi_client_refusals_total',
    'Requests and streams refused by the limits per client address, by endpoint (grpc, admin, metrics, openai) and reason: rate (ip-rate), auth-failures (auth-failures-per-min), streams (streams-per-ip), user-rate (user-rate: one user from any address)',
    ['endpoint', 'reason'],
    () => Object.entries(stats.refused).flatMap(([endpoint, reasons]) => Object.entries(reasons).map(([reason, n]) => [{ endpoint, reason }, n] as const)))
  scrapedLabelledCounter(registry, 'plexi_auth_failures_total', 'Requests whose token was wrong, by endpoint (grpc, admin, metrics, openai); requests with no token are not counted', ['endpoint'],
    () => Object.entries(stats.failedAuthentications).map(([endpoint, n]) => [{ endpoint }, n] as const))
  scrapedGauge(registry, 'plexi_client_streams_open', 'Streams held open by clients, every endpoint together (counted against streams-per-ip)', () => stats.streamsOpen)
}
