import { Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge } from '../metrics/index.ts'
import type { ClusterSearch } from './cluster-search.ts'
import type { SearchIndex } from './search-index.ts'

/** What search's metrics read (an index absent on a node that keeps none: exported as 0). */
export interface SearchMetricSources {
  readonly cluster: Pick<ClusterSearch, 'stats'>
  readonly index: () => SearchIndex | undefined
}

/** What the index's feed and a search observe as they go. */
export interface SearchObservers {
  /** Indexing lag of one batch (ms). */
  readonly lag: (ms: number) => void
  /** One search answered through this node (ms, its mode). */
  readonly query: (ms: number, mode: string) => void
}

/** `plexi_search_*`: searches asked through this node and how they ended, this node's index (rows,
 * bytes, vectors, complete or rebuilding, lag, queue, losses), read at scrape time. */
export function searchMetrics (registry: Registry, sources: SearchMetricSources): SearchObservers {
  const i = sources.index
  const lag = new Histogram({
    name: 'plexi_search_indexing_lag_seconds',
    help: 'From a change landing on this node\'s replica store to its commit in the search index, per batch',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  const duration = new Histogram({
    name: 'plexi_search_duration_seconds',
    help: 'Searches asked through this node, from the query to the merged answer, by mode',
    labelNames: ['mode'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry]
  })
  scrapedCounter(registry, 'plexi_search_queries_total', 'Searches asked through this node (fanned out to the members holding every partition)', () => sources.cluster.stats.searches)
  scrapedCounter(registry, 'plexi_search_partial_total', 'Searches answered partially: some partitions unanswered, or an index still being rebuilt', () => sources.cluster.stats.partial)
  scrapedCounter(registry, 'plexi_search_failed_asks_total', 'Other members that failed to answer their part of a search (their partitions were asked of another replica)', () => sources.cluster.stats.failedAsks)
  scrapedCounter(registry, 'plexi_search_local_queries_total', 'Parts of searches this node\'s index answered (asked here or by other members)', () => i()?.stats.searches ?? 0)
  scrapedCounter(registry, 'plexi_search_rebuilds_total', 'Rebuilds of this node\'s index from its replica store (an untrusted file at start, or lost changes)', () => i()?.stats.rebuilds ?? 0)
  scrapedCounter(registry, 'plexi_search_feed_lost_total', 'Times the index lost changes (its queue overflowed or a batch failed) and was rebuilt', () => i()?.feed.stats.lost ?? 0)
  scrapedCounter(registry, 'plexi_search_indexed_changes_total', 'Changes to posts the index took from this node\'s replica store', () => i()?.feed.stats.changes ?? 0)
  scrapedCounter(registry, 'plexi_search_embedded_total', 'Posts embedded for semantic search', () => i()?.embeds?.stats.embedded ?? 0)
  scrapedCounter(registry, 'plexi_search_embed_skipped_total', 'Posts not embedded (the embedder\'s queue was full, or it failed): found by text only until a rebuild', () => (i()?.embeds?.stats.skipped ?? 0) + (i()?.embeds?.stats.failed ?? 0))
  scrapedGauge(registry, 'plexi_search_feed_queued', 'Changes waiting for the index thread', () => i()?.feed.queued ?? 0)
  scrapedGauge(registry, 'plexi_search_feed_imported_waiting', 'Imported posts waiting to be indexed (a bulk load is indexed once it pauses)', () => i()?.feed.behind ?? 0)
  scrapedGauge(registry, 'plexi_search_complete', '1 when this node\'s index holds everything its replica store does, 0 while rebuilding or without an index', () => i()?.complete === true ? 1 : 0)
  scrapedGauge(registry, 'plexi_search_rebuild_progress_ratio', 'Partitions a running rebuild has read, as a fraction (1: none running)', () => {
    const index = i()
    if (index === undefined || !index.rebuilding) return 1
    const p = index.progress
    return p.total === 0 ? 0 : p.done / p.total
  })
  const size = new Gauge({
    name: 'plexi_search_index',
    help: 'This node\'s search index: rows (posts), bytes (its SQLite file) and vectors',
    labelNames: ['what'],
    registers: [registry],
    async collect () {
      const s = await i()?.size().catch(() => undefined)
      this.set({ what: 'rows' }, s?.rows ?? 0)
      this.set({ what: 'bytes' }, s?.bytes ?? 0)
      this.set({ what: 'vectors' }, s?.vectors ?? 0)
    }
  })
  void size
  return {
    lag: (ms) => { lag.observe(ms / 1000) },
    query: (ms, mode) => { duration.observe({ mode }, ms / 1000) }
  }
}
