/**
 * Search (docs/search.md): each storage node's full-text (SQLite FTS5, BM25) and vector (usearch,
 * HNSW) index of the rooms and agents its replica store holds, fed by LevelReplicaStorage.watch and
 * rebuilt from the store when it cannot be trusted; a search at any node fans out to members that
 * together hold every partition, over `/search`.
 */
export * from './constants.ts'
export * from './errors.ts'
export { FtsIndex } from './fts-index.ts'
export type { LocalHit, OpenVerdict } from './fts-index.ts'
export { reciprocalRankFusion } from './hybrid-rank.ts'
export { addRecordOps, isIndexed, noOps, opsSize } from './index-ops.ts'
export type { IndexOps, IndexRow, RecordLike } from './index-ops.ts'
export { IndexRebuild } from './index-rebuild.ts'
export type { IndexRebuildOptions, RebuildSource } from './index-rebuild.ts'
export { IndexThread } from './index-thread.ts'
export { LagWindow } from './lag-window.ts'
export { LocalIndex } from './local-index.ts'
export type { LocalIndexOptions, LocalResult, LocalSearch } from './local-index.ts'
export { EmbedQueue } from './embedder.ts'
export type { Embedder } from './embedder.ts'
export { SearchFeed } from './search-feed.ts'
export type { FeedChange, SearchFeedOptions } from './search-feed.ts'
export { SearchIndex } from './search-index.ts'
export type { IndexAnswer, SearchIndexOptions } from './search-index.ts'
export { AGENT_AUTHOR, SEARCH_MODES, SEARCH_SCOPES, checkSearchQuery, checkSearchViewer, matchExpression } from './search-query.ts'
export type { SearchMode, SearchQuery, SearchScope, SearchViewer } from './search-query.ts'
export { VectorIndex } from './vector-index.ts'
export type { VectorHit } from './vector-index.ts'
export { ClusterSearch, checkNodeAnswer } from './cluster-search.ts'
export type { ClusterSearchOptions, SearchHit, SearchResult } from './cluster-search.ts'
export { SEARCH_PATH, answerLocally, checkSearchActorMsg, searchActor, spawnSearchActor } from './search-actor.ts'
export type { NodeAnswer, SearchActorMsg, WireHit } from './search-actor.ts'
