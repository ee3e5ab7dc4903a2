import type { Registry } from 'prom-client'
import { scrapedLabelledCounter, scrapedLabelledGauge } from './scraped-metric.ts'

/** What jobMetrics reads of the node's jobs (node/jobs Jobs). */
export interface JobStatsView {
  list (): Iterable<{ readonly kind: string, readonly state: string }>
  readonly stats: { readonly started: Readonly<Record<string, number>> }
}

/** Job states always exported for every kind, at zero too: an alert on failed drains needs the
 * series to exist. */
const STATES = ['running', 'done', 'failed', 'cancelled'] as const

/** Jobs this node runs and remembers, and those it started, by kind, read at scrape time. */
export function jobMetrics (registry: Registry, jobs: JobStatsView): void {
  scrapedLabelledGauge(registry, 'plexi_jobs', 'Jobs this node runs or remembers (its last 100 finished), by kind and state', ['kind', 'state'], () => {
    const count = new Map<string, { kind: string, state: string, n: number }>()
    const add = (kind: string, state: string, n: number): void => {
      const key = JSON.stringify([kind, state])
      count.set(key, { kind, state, n: (count.get(key)?.n ?? 0) + n })
    }
    for (const kind of Object.keys(jobs.stats.started)) for (const state of STATES) add(kind, state, 0)
    for (const job of jobs.list()) add(job.kind, job.state, 1)
    return [...count.values()].map(({ kind, state, n }) => [{ kind, state }, n] as const)
  })
  scrapedLabelledCounter(registry, 'plexi_jobs_started_total', 'Jobs this node started, by kind', ['kind'],
    () => Object.entries(jobs.stats.started).map(([kind, n]) => [{ kind }, n] as const))
}
