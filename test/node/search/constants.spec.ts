import { expect } from 'chai'
import {
  DEFAULT_SEARCH_LIMIT, EMBED_BATCH, EMBED_QUEUE_MAX, FEED_BATCH, FEED_FLUSH_MS, FEED_QUEUE_MAX, HYBRID_CANDIDATES_FACTOR, MAX_QUERY_CHARS, MAX_QUERY_ROOMS,
  MAX_QUERY_TERMS, MAX_SEARCH_LIMIT, MAX_SNIPPET_CHARS, MAX_VECTOR_DIMENSIONS, REBUILD_ENTITIES_PAGE, REBUILD_PAGE, RRF_K, SEARCH_ASK_MS, SEARCH_FORMAT, SEARCH_TOOL, TOOL_MAX_HITS
} from '../../../node/search/index.ts'
import { TOOL_PATTERN } from '../../../protocols/index.ts'

describe('search constants', () => {
  it('should answer a page of hits by default within the most one search answers', () => {
    expect(DEFAULT_SEARCH_LIMIT).to.be.within(1, MAX_SEARCH_LIMIT)
    expect(TOOL_MAX_HITS).to.be.within(1, MAX_SEARCH_LIMIT)
    expect(MAX_QUERY_TERMS).to.be.within(1, MAX_QUERY_CHARS / 2)
    expect(MAX_QUERY_ROOMS).to.be.within(1, 1_000)
    expect(MAX_SNIPPET_CHARS).to.be.within(80, 4_096)
    expect(HYBRID_CANDIDATES_FACTOR).to.be.within(1, 20)
    expect(RRF_K).to.equal(60)
  })

  it('should keep indexing lag well under a second at a trickle, and bound what waits', () => {
    expect(FEED_FLUSH_MS).to.be.within(1, 250)
    expect(FEED_BATCH).to.be.within(100, FEED_QUEUE_MAX)
    expect(FEED_QUEUE_MAX).to.be.within(FEED_BATCH, 10_000_000)
    expect(EMBED_BATCH).to.be.within(1, EMBED_QUEUE_MAX)
    expect(REBUILD_PAGE).to.be.within(10, 100_000)
    expect(REBUILD_ENTITIES_PAGE).to.be.within(10, 100_000)
  })

  it('should wait for another node\'s part less than a client waits, take vectors of real embedding models, and name its tool as tools are named', () => {
    expect(SEARCH_ASK_MS).to.be.within(500, 30_000)
    expect(MAX_VECTOR_DIMENSIONS).to.be.at.least(4_096)
    expect(SEARCH_FORMAT).to.be.a('number')
    expect(new RegExp(TOOL_PATTERN).test(SEARCH_TOOL)).to.equal(true)
  })
})
