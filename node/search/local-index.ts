import { HYBRID_CANDIDATES_FACTOR } from './constants.ts'
import { FtsIndex } from './fts-index.ts'
import type { LocalHit, OpenVerdict } from './fts-index.ts'
import { reciprocalRankFusion } from './hybrid-rank.ts'
import type { IndexOps } from './index-ops.ts'
import type { SearchQuery, SearchViewer } from './search-query.ts'
import { VectorIndex } from './vector-index.ts'

export interface LocalIndexOptions {
  /** The SQLite file (':memory:' in tests). */
  readonly dbPath: string
  /** The vector index's file, and its embeddings' dimensions (absent: no semantic search here). */
  readonly vectors?: { readonly path?: string, readonly dimensions: number }
}

/** What a local search answers: the hits, and whether their vector side ran. */
export interface LocalResult {
  readonly hits: LocalHit[]
  /** 'used': the vector index ranked them; 'unavailable': no embeddings here (a semantic query got
   * no hits, a hybrid one text hits only); 'not-asked': a text query. */
  readonly semantic: 'used' | 'unavailable' | 'not-asked'
}

/** One search as it reaches the index thread: the query embedded already when it needs vectors. */
export interface LocalSearch {
  readonly query: SearchQuery
  readonly viewer: SearchViewer
  readonly partitions?: readonly number[]
  readonly vector?: Float32Array
}

/**
 * A node's search index, whole: the full-text index and, when the node embeds, the vector index
 * keyed by the same row ids; the three modes of a query (text, semantic, hybrid by reciprocal rank
 * fusion). Runs on the index thread (index-worker.ts).
 */
export class LocalIndex {
  readonly #opts: LocalIndexOptions
  fts: FtsIndex
  vectors: VectorIndex | undefined
  /** Whether the vector index was loaded as saved at a clean close (else it is re-embedded). */
  readonly vectorsLoaded: boolean

  constructor (opts: LocalIndexOptions) {
    this.#opts = opts
    this.fts = new FtsIndex(opts.dbPath)
    if (opts.vectors === undefined) {
      this.vectors = undefined
      this.vectorsLoaded = false
    } else {
      // a vector file is only as good as the rows it points at: with a rebuilt FTS index, dropped
      const { index, loaded } = VectorIndex.open(opts.vectors.dimensions, opts.vectors.path, this.fts.verdict === 'ok')
      this.vectors = index
      this.vectorsLoaded = loaded
    }
  }

  get verdict (): OpenVerdict { return this.fts.verdict }

  /** Drops everything: the file is emptied (a rebuild follows), the vectors too. */
  reset (): void {
    this.fts.close()
    this.fts = new FtsIndex(this.#opts.dbPath, true)
    if (this.#opts.vectors !== undefined) this.vectors = VectorIndex.open(this.#opts.vectors.dimensions, this.#opts.vectors.path, false).index
  }

  /** Applies the ops; the vector index drops the rows removed or changed. Returns the rows put
   * (what the embedder embeds next). */
  apply (ops: IndexOps): Array<{ id: number, text: string }> {
    const { put, removed } = this.fts.apply(ops)
    this.vectors?.remove([...removed, ...put.map((p) => p.id)])
    return put
  }

  addVectors (ids: readonly number[], vectors: readonly Float32Array[]): void {
    this.vectors?.add(ids, vectors)
  }

  search (s: LocalSearch): LocalResult {
    const { query, viewer, partitions } = s
    if (query.mode === 'text') return { hits: this.fts.search(query, viewer, query.limit, partitions), semantic: 'not-asked' }
    const usable = this.vectors !== undefined && s.vector !== undefined && s.vector.length === this.vectors.dimensions
    if (!usable) {
      return { hits: query.mode === 'hybrid' ? this.fts.search(query, viewer, query.limit, partitions) : [], semantic: 'unavailable' }
    }
    const k = query.limit * HYBRID_CANDIDATES_FACTOR
    const near = this.#nearest(s, k)
    if (query.mode === 'semantic') return { hits: near.slice(0, query.limit), semantic: 'used' }
    const text = this.fts.search(query, viewer, k, partitions)
    const byId = new Map<number, LocalHit>()
    for (const h of near) byId.set(h.id, h)
    for (const h of text) byId.set(h.id, h)
    const fused = reciprocalRankFusion([text.map((h) => h.id), near.map((h) => h.id)]).slice(0, query.limit)
    return { hits: fused.map(({ id, score }) => ({ ...(byId.get(id) as LocalHit), score })), semantic: 'used' }
  }

  /** The nearest rows the viewer may see and the filters keep, nearest first (the graph is asked
   * for `k` and filtered after: a filter that keeps few rows may leave fewer than `k`). */
  #nearest (s: LocalSearch, k: number): LocalHit[] {
    const near = (this.vectors as VectorIndex).search(s.vector as Float32Array, k)
    const similarity = new Map(near.map((n) => [n.id, n.similarity]))
    const rows = this.fts.rowsOf(near.map((n) => n.id), s.query, s.viewer, s.partitions)
    return rows.map((r) => ({ ...r, score: similarity.get(r.id) as number })).sort((a, b) => b.score - a.score)
  }

  stats (): { rows: number, bytes: number, vectors: number } {
    return { ...this.fts.stats(), vectors: this.vectors?.size ?? 0 }
  }

  /** Closes cleanly: the FTS file marked clean, and the vector index saved when it holds every row
   * (`vectorsWhole`: else it is not saved, and every row is embedded again at the next open). */
  close (vectorsWhole = true): void {
    if (vectorsWhole) this.vectors?.save()
    this.fts.close()
  }
}
