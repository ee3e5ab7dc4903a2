/** Limits and defaults of search (docs/search.md), each with why. */

/** The index's file under the data dir: one SQLite database (FTS5), derived from the replica store. */
export const SEARCH_DB_FILE = 'search.sqlite'
/** The vector index's file beside it (usearch's own format). */
export const VECTOR_FILE = 'search.usearch'
/** The index's format: a file of another format is rebuilt, never read (a change of schema or
 * tokenizer bumps it). 2: the users each room's records name (`touched`), which an erasure trusts
 * only from a file that holds all of them. 3: no text kept (contentless FTS5; snippets from the
 * store). */
export const SEARCH_FORMAT = 3

/** Longest query text and most hits of one search: protocols/limits.ts (the CLI checks them too). */
export { MAX_SEARCH_LIMIT, MAX_SEARCH_QUERY_CHARS as MAX_QUERY_CHARS } from '../../protocols/index.ts'
/** Most terms one query matches on (the rest are dropped): each term is one FTS5 doclist read. */
export const MAX_QUERY_TERMS = 16
/** Hits when the query names no limit. */
export const DEFAULT_SEARCH_LIMIT = 20
/** Most rooms one query may name as a filter. */
export const MAX_QUERY_ROOMS = 64
/** Ranking window: BM25 ranks at most this many of a query's matches, the most recent (row ids
 * follow post time: fts-index.ts). FTS5 scores every match it ranks, so a word in 700,000 of a
 * million posts took 900 ms to rank whole here, and 10,000 take about 20 ms: the p99 goal (200 ms)
 * holds, and a chat search favours recent posts anyway; older matches are found with `until`. */
export const RANK_WINDOW = 10_000
/** Row ids are a post's time (ms) times this, plus a slot: ids sort by time, and a time filter is a
 * range of ids that FTS5 applies while it reads a term's postings. 1,024 slots a millisecond keep
 * ids exact in a double until the year 2248. */
export const ID_SLOTS = 1_024

/** Words a snippet shows around its matches (snippet.ts; as FTS5 snippet()'s token count). */
export const SNIPPET_TOKENS = 16
/** Longest snippet sent (characters): a hit is a pointer to the post, not the post. */
export const MAX_SNIPPET_CHARS = 400
/** Hits of one entity at most this many seqs apart have their posts read for snippets with one
 * range of the store (the records between them read too: a few, against a read each). */
export const SNIPPET_RUN_GAP = 8

/** Rows the feed sends the index thread in one transaction: large enough that a transaction's
 * fixed cost (a WAL commit) is spread thin, small enough to keep one batch under ~10 ms. */
export const FEED_BATCH = 2_000
/** How long the feed waits to gather a batch (ms): the floor of indexing lag at a trickle. */
export const FEED_FLUSH_MS = 50
/** How long no imported post must land before the feed indexes those waiting (ms): an import sends
 * its batches back to back, so a second without one is a pause; its posts are searchable about
 * this long after it ends. */
export const BULK_QUIET_MS = 1_000
/** Changes the feed holds while the index thread is busy. Past it the index is no longer a copy of
 * the store: the queue is dropped and the index rebuilt (bounded memory beats a lagging index). */
export const FEED_QUEUE_MAX = 200_000

/** FTS5's `automerge`: how many segments of one level it merges as it writes (its default is 4).
 * At 2 the index of a million posts is built about an eighth slower on one thread, and a secure
 * delete, which seeks a removed row's every token in each segment, takes half the time: 10,000 of
 * an erased user's posts leave a million-post index in 1.2 s of one core instead of 2.5. */
export const FTS_AUTOMERGE = 2

/** Records the rebuild reads of one entity at a time. */
export const REBUILD_PAGE = 1_000
/** Entities the rebuild lists of a partition at a time. */
export const REBUILD_ENTITIES_PAGE = 500

/**
 * How long a node's search index thread may sit idle before it closes the index and ends (ms): a
 * thread (its V8 heap, Node's environment, SQLite's caches and the vectors) holds about 20 MiB of
 * an idle node's memory, 13-14 of which its end gives back. The next change or search starts it again: a few hundred ms of one core
 * (the thread's start and the file's open, vectors loaded from their file), so a node with a post
 * every few seconds keeps its thread, and one that waits a minute between changes pays that once a
 * minute: posts in bursts of a few seconds after 15 s of quiet measured 0.88-0.92x the posts/s of the
 * node before this, whose thread never rested (docs/performance.md, "Idle memory", second round).
 * Hence a minute, not 15 s: a conversation's pauses keep the thread, a node left alone still gives
 * the memory back.
 */
export const SEARCH_THREAD_IDLE_MS = 60_000
/** How long a node waits for another's part of a search (ms): past it the answer is partial and
 * says which partitions did not answer. */
export const SEARCH_ASK_MS = 5_000
/** Most rooms a node lists in one answer to `touched` (an erasure's question): past it the node
 * says "too many" and the erasure asks every room, as it does without the index (the answer stays
 * well under a frame's size: 10,000 names of at most 64 characters). */
export const MAX_TOUCHED_ROOMS = 10_000
/** The search actor's mailbox: queries waiting here beyond it are refused. */
export const SEARCH_MAILBOX = 1_024

/** Reciprocal rank fusion's k (Cormack et al. 2009): 60 damps the weight of the first ranks so
 * that neither list alone decides; the paper's value, robust across collections. */
export const RRF_K = 60
/** How many candidates each side (text, vectors) gives hybrid ranking, per requested hit. */
export const HYBRID_CANDIDATES_FACTOR = 4

/** HNSW graph degree (usearch connectivity) and expansions: usearch's defaults give recall ≥ 0.95
 * at these sizes; add cost is what the bench measures. */
export const HNSW_CONNECTIVITY = 16
export const HNSW_EXPANSION_ADD = 64
export const HNSW_EXPANSION_SEARCH = 64
/** Longest text sent to the embedder (characters): embedding models take ~512 tokens. */
export const MAX_EMBED_CHARS = 2_000
/** Texts embedded in one request to the embedder. */
export const EMBED_BATCH = 32
/** Texts waiting to be embedded, at most: past it new posts are indexed for text only (counted). */
export const EMBED_QUEUE_MAX = 10_000
/** Longest query vector one node sends another (floats): the largest embedding models' width. */
export const MAX_VECTOR_DIMENSIONS = 8_192
/** The built-in tool's name: Plexi's own source (`plexi`), granted like any tool. */
export const SEARCH_TOOL = 'plexi__search'
/** Most hits the agent's tool returns: a model reads every one of them. */
export const TOOL_MAX_HITS = 20
/** Longest time back the agent's tool's `days` reaches (ten years). */
export const TOOL_MAX_DAYS = 3_650
