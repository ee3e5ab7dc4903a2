import type { Registry } from 'prom-client'
import { scrapedCounter } from './scraped-metric.ts'

/** What storeMetrics reads of the node's store (node/storage LevelStore). */
export interface StoreStatsView {
  readonly stats: { readonly writer: { readonly batches: number, readonly bytes: number } }
}

/** The store's writes: batches (each fsynced) and bytes, read at scrape time. */
export function storeMetrics (registry: Registry, store: StoreStatsView): void {
  scrapedCounter(registry, 'plexi_journal_batches_total', 'Batches written (and fsynced) by the store', () => store.stats.writer.batches)
  scrapedCounter(registry, 'plexi_journal_written_bytes_total', 'Bytes written by the store', () => store.stats.writer.bytes)
}
