import { expect } from 'chai'
import { Registry } from 'prom-client'
import { searchMetrics } from '../../../node/search/index.ts'
import type { SearchIndex } from '../../../node/search/index.ts'
import { scrape } from '../../helpers/metric-text.ts'

describe('searchMetrics', () => {
  it('should export searches and this node\'s index, and 0 where it keeps none', async () => {
    const registry = new Registry()
    const cluster = { stats: { searches: 3, partial: 1, failedAsks: 2 } }
    let index: SearchIndex | undefined
    const observe = searchMetrics(registry, { cluster, index: () => index })
    observe.lag(250)
    observe.query(12, 'text')
    let text = await scrape(registry)
    expect(text).to.match(/^plexi_search_queries_total 3$/m)
    expect(text).to.match(/^plexi_search_partial_total 1$/m)
    expect(text).to.match(/^plexi_search_failed_asks_total 2$/m)
    expect(text).to.match(/^plexi_search_complete 0$/m)
    expect(text).to.match(/^plexi_search_index\{what="rows"\} 0$/m)
    expect(text).to.match(/^plexi_search_indexing_lag_seconds_count 1$/m)
    expect(text).to.match(/^plexi_search_duration_seconds_count\{mode="text"\} 1$/m)
    index = {
      stats: { searches: 5, rebuilds: 1 },
      feed: { stats: { lost: 0, changes: 9 }, queued: 4, behind: 2_000 },
      embeds: { stats: { embedded: 7, skipped: 1, failed: 1 } },
      complete: false,
      rebuilding: true,
      progress: { done: 64, total: 256 },
      size: async () => ({ rows: 9, bytes: 4096, vectors: 7 })
    } as unknown as SearchIndex
    text = await scrape(registry)
    expect(text).to.match(/^plexi_search_local_queries_total 5$/m)
    expect(text).to.match(/^plexi_search_rebuild_progress_ratio 0.25$/m)
    expect(text).to.match(/^plexi_search_feed_queued 4$/m)
    expect(text).to.match(/^plexi_search_feed_imported_waiting 2000$/m)
    expect(text).to.match(/^plexi_search_embed_skipped_total 2$/m)
    expect(text).to.match(/^plexi_search_index\{what="vectors"\} 7$/m)
  })
})
