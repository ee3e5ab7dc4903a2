import { existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Index } from 'usearch'
import { HNSW_CONNECTIVITY, HNSW_EXPANSION_ADD, HNSW_EXPANSION_SEARCH } from './constants.ts'

const require = createRequire(import.meta.url)

/** usearch (a native addon), loaded with the first vector index: a node whose search has no
 * embedding model (the default) never loads it, in its index thread or elsewhere (require keeps it
 * once loaded). */
function usearch (): typeof import('usearch') {
  return require('usearch') as typeof import('usearch')
}

/** One nearest neighbour: the post's row id and its cosine similarity (higher is nearer). */
export interface VectorHit {
  readonly id: number
  readonly similarity: number
}

/**
 * The vector index of semantic search: usearch's HNSW graph over the posts' embeddings, keyed by
 * their row ids in the full-text index (fts-index.ts), cosine metric, f16 storage (half the
 * memory of f32, recall unchanged at these sizes). Like the FTS index it runs on the index thread
 * and is derived: saved at a clean close, and otherwise rebuilt by embedding the rows again.
 * usearch: prebuilt binaries on npm for linux, macOS and Windows (no native build), HNSW at
 * 0.4 ms a query over 200,000 vectors here, add/remove by key, save/load/view of one file.
 */
export class VectorIndex {
  readonly dimensions: number
  readonly #index: Index
  readonly #path: string | undefined

  private constructor (dimensions: number, index: Index, path: string | undefined) {
    this.dimensions = dimensions
    this.#index = index
    this.#path = path
  }

  /** A new, empty index of `dimensions`, or the one saved at `path` if it has that many (else it
   * is dropped: `loaded` says which); `load` false: a new one whatever `path` holds (it is saved
   * there all the same). */
  static open (dimensions: number, path?: string, load = true): { index: VectorIndex, loaded: boolean } {
    const u = usearch()
    const make = (): Index => new u.Index({ dimensions, metric: u.MetricKind.Cos, quantization: u.ScalarKind.F16, connectivity: HNSW_CONNECTIVITY, expansion_add: HNSW_EXPANSION_ADD, expansion_search: HNSW_EXPANSION_SEARCH, multi: false })
    let index = make()
    let loaded = false
    if (path !== undefined && existsSync(path)) {
      if (!load) {
        rmSync(path, { force: true })
        return { index: new VectorIndex(dimensions, index, path), loaded }
      }
      try {
        index.load(path)
        // usearch takes the file's width: one of another width is of another model
        loaded = index.dimensions() === dimensions
        if (!loaded) index = make()
      } catch {
        // another dimension or a damaged file: derived, so dropped and rebuilt
        index = make()
      }
      rmSync(path, { force: true })
    }
    return { index: new VectorIndex(dimensions, index, path), loaded }
  }

  get size (): number {
    return this.#index.size()
  }

  /** Adds (or replaces) the vectors of these ids, in one call (usearch spreads it over threads). */
  add (ids: readonly number[], vectors: readonly Float32Array[], threads = 0): void {
    if (ids.length === 0) return
    const keys = BigUint64Array.from(ids, (id) => BigInt(id))
    const present = this.#index.contains(keys) as boolean[] | boolean
    const again = Array.isArray(present) ? keys.filter((_, i) => present[i] === true) : (present ? keys : new BigUint64Array(0))
    if (again.length > 0) this.#index.remove(again)
    const matrix = new Float32Array(ids.length * this.dimensions)
    vectors.forEach((v, i) => { matrix.set(v.subarray(0, this.dimensions), i * this.dimensions) })
    this.#index.add(keys, matrix, threads)
  }

  remove (ids: readonly number[]): void {
    if (ids.length === 0 || this.#index.size() === 0) return
    this.#index.remove(BigUint64Array.from(ids, (id) => BigInt(id)))
  }

  /** The `k` nearest ids to the vector, nearest first. */
  search (vector: Float32Array, k: number): VectorHit[] {
    if (this.#index.size() === 0) return []
    const m = this.#index.search(vector, Math.min(k, this.#index.size()), 0)
    const out: VectorHit[] = []
    for (let i = 0; i < m.keys.length; i++) out.push({ id: Number(m.keys[i]), similarity: 1 - (m.distances[i] as number) })
    return out
  }

  /** Saves to the index's file (a clean close): the next open loads it. */
  save (): void {
    if (this.#path !== undefined) this.#index.save(this.#path)
  }
}
