import { describe, isRoomName } from '../../protocols/index.ts'
import { MAX_SEARCH_LIMIT, MAX_SNIPPET_CHARS, MAX_TOUCHED_ROOMS } from './constants.ts'
import type { Embedder } from './embedder.ts'
import { SearchUnavailableError } from './errors.ts'
import { answerLocally, touchedLocally } from './search-actor.ts'
import type { NodeAnswer, TouchedAnswer, WireHit } from './search-actor.ts'
import type { SearchIndex } from './search-index.ts'
import type { SearchQuery, SearchViewer } from './search-query.ts'

/** One hit as every surface shows it: where it is (a room, or the viewer's agent conversation) and
 * its seq, so that a client can open the room there. */
export interface SearchHit {
  readonly kind: 'room' | 'agent'
  /** The room's name, or the agent's user. */
  readonly name: string
  readonly seq: number
  readonly author: string
  readonly ts: number
  readonly snippet: string
  /** [start, length] of each match in `snippet` (UTF-16 units, as JavaScript strings count). */
  readonly marks: ReadonlyArray<readonly [number, number]>
  readonly score: number
}

/** A search's answer: the hits, and what did not answer. */
export interface SearchResult {
  readonly hits: SearchHit[]
  /** True when some partitions' posts could not be searched (see `missing`) or an index that
   * answered is still being rebuilt (`incomplete`). */
  readonly partial: boolean
  /** Partitions no replica answered for. */
  readonly missing: number[]
  /** Nodes whose index answered while being rebuilt: their partitions' hits may be missing. */
  readonly incomplete: string[]
  /** Nodes that were asked and failed, and why. */
  readonly failed: Array<{ readonly node: string, readonly error: string }>
  /** Whether the vector side ran: on every node asked, on some, on none, or not asked. */
  readonly semantic: 'used' | 'partial' | 'unavailable' | 'not-asked'
  /** The query's embedding on the asking node (ms; 0 when none was made here). */
  readonly embedMs: number
}

export interface ClusterSearchOptions {
  readonly self: string
  readonly partitions: number
  /** Each partition's replicas now (the journal's placement). */
  readonly replicasOf: (partition: number) => readonly string[]
  /** `replicasOf` for every partition under one look at the roster (a plan asks for all of them);
   * absent: `replicasOf`. */
  readonly replicaTable?: (() => (partition: number) => readonly string[]) | undefined
  /** The other members up now (asked once per search). */
  readonly live: () => ReadonlySet<string>
  /** This node's index (undefined: it keeps none). */
  readonly local: () => SearchIndex | undefined
  /** Whether this node's replica of a partition is whole (not a learner still catching up): where
   * it is not, another replica answers for it when one is up. @default every one is */
  readonly caughtUp?: (partition: number) => boolean
  /** Asks another node's `/search` for its part (search-actor.ts), with a deadline. */
  readonly ask: (node: string, msg: { query: SearchQuery, viewer: SearchViewer, partitions: number[], vector?: number[] }) => Promise<unknown>
  /** Asks another node's `/search` which rooms name a user (`touched`), with a deadline (absent:
   * roomsTouchedBy never knows). */
  readonly askTouched?: (node: string, user: string) => Promise<unknown>
  /** Embeds the query once here for every node asked (absent: each node embeds, if it can). */
  readonly embedder?: Embedder | undefined
  /** Each search's time here, from the query to the merged answer (ms), and its mode. */
  readonly onSearch?: (ms: number, mode: string) => void
}

/**
 * A search from any member: the partitions are divided among live replicas that together hold all
 * of them (this node first, then those covering most), each asked for its part at once; a node
 * that fails has its partitions asked of another replica once; the hits are merged by score.
 * Partitions no one answered for are reported (`partial`, `missing`): never hidden.
 */
export class ClusterSearch {
  readonly #opts: ClusterSearchOptions
  readonly stats = { searches: 0, partial: 0, failedAsks: 0 }

  constructor (opts: ClusterSearchOptions) {
    this.#opts = opts
  }

  async search (query: SearchQuery, viewer: SearchViewer): Promise<SearchResult> {
    this.stats.searches++
    const started = performance.now()
    const result = await this.#search(query, viewer)
    this.#opts.onSearch?.(performance.now() - started, query.mode)
    return result
  }

  /**
   * The rooms whose stored records name `user` or their agent (a post, an imported post's original
   * author, a join: index-ops.ts `addTouches`), for an erasure that asks only those rooms. Every
   * replica of every partition is asked, and the answer is trusted only when every one answered
   * from a complete index: a post acknowledged to its poster is in the store of some replica of its
   * partition, so the union of all of them holds every room it could be in. Anything less (a
   * replica down or failing, an index being rebuilt, a node naming more than MAX_TOUCHED_ROOMS) is
   * `unknown`, with why, and the erasure asks every room, as it did before the index knew.
   */
  async roomsTouchedBy (user: string): Promise<{ readonly rooms: string[] } | { readonly unknown: string }> {
    const { self } = this.#opts
    const nodes = new Set<string>()
    const replicasOf = this.#opts.replicaTable?.() ?? this.#opts.replicasOf
    for (let p = 0; p < this.#opts.partitions; p++) for (const n of replicasOf(p)) nodes.add(n)
    const live = this.#opts.live()
    const askTouched = this.#opts.askTouched
    for (const n of nodes) {
      if (n === self ? this.#opts.local() === undefined : !live.has(n) || askTouched === undefined) return { unknown: `${n}, a replica, ${n === self ? 'keeps no search index' : 'is not up'}` }
    }
    const answers = await Promise.all([...nodes].map(async (n): Promise<TouchedAnswer | string> => {
      try {
        const local = this.#opts.local()
        if (n === self && local !== undefined) return await touchedLocally(n, local, user)
        return checkTouchedAnswer(await askTouched?.(n, user), n)
      } catch (err) {
        return `${n} failed: ${describe(err)}`
      }
    }))
    const rooms = new Set<string>()
    for (const a of answers) {
      if (typeof a === 'string') return { unknown: a }
      if (!a.complete) return { unknown: `${a.node}'s index is being rebuilt` }
      if (a.rooms === null) return { unknown: `${a.node} names more than ${MAX_TOUCHED_ROOMS} rooms` }
      for (const r of a.rooms) rooms.add(r)
    }
    return { rooms: [...rooms].sort() }
  }

  async #search (query: SearchQuery, viewer: SearchViewer): Promise<SearchResult> {
    let embedMs = 0
    let vector: number[] | undefined
    if (query.mode !== 'text' && this.#opts.embedder !== undefined) {
      const started = performance.now()
      // a failed embedding here (the model's queue full, the model unloading) leaves it to each
      // node asked: one that embeds does, the others say semantic 'unavailable'
      vector = await this.#opts.embedder.embed([query.text]).then(([v]) => v === undefined ? undefined : Array.from(v), () => undefined)
      embedMs = performance.now() - started
    }
    const answers: NodeAnswer[] = []
    const failed: Array<{ node: string, error: string }> = []
    const excluded = new Set<string>()
    let left = Array.from({ length: this.#opts.partitions }, (_, p) => p)
    for (let round = 0; round < 2 && left.length > 0; round++) {
      const { plan, missing } = this.#plan(left, excluded)
      left = missing
      const asked = await Promise.all([...plan].map(async ([node, parts]) => {
        try {
          return { node, parts, answer: await this.#askOne(node, query, viewer, parts, vector) }
        } catch (err) {
          return { node, parts, err }
        }
      }))
      for (const a of asked) {
        if ('answer' in a && a.answer !== undefined) { answers.push(a.answer); continue }
        this.stats.failedAsks++
        excluded.add(a.node)
        failed.push({ node: a.node, error: describe((a as { err: unknown }).err) })
        left.push(...a.parts)
      }
    }
    return this.#merge(query, answers, failed, left.sort((a, b) => a - b), embedMs)
  }

  /** Each partition to a live replica not excluded: this node where it is one (and keeps an index,
   * and is not still catching up on it), else the replica that can answer for most of the
   * partitions this node does not. */
  #plan (parts: readonly number[], excluded: ReadonlySet<string>): { plan: Map<string, number[]>, missing: number[] } {
    const { self } = this.#opts
    const live = this.#opts.live()
    const hasLocal = this.#opts.local() !== undefined
    // judged once a node, not once a partition and replica (a plan looks at every partition)
    const judged = new Map<string, boolean>()
    const usable = (n: string): boolean => {
      let ok = judged.get(n)
      if (ok === undefined) judged.set(n, ok = !excluded.has(n) && (n === self ? hasLocal : live.has(n)))
      return ok
    }
    const replicasOf = this.#opts.replicaTable?.() ?? this.#opts.replicasOf
    const plan = new Map<string, number[]>()
    const assign = (node: string, p: number): void => {
      const list = plan.get(node)
      if (list === undefined) plan.set(node, [p])
      else list.push(p)
    }
    const missing: number[] = []
    const elsewhere: Array<{ p: number, others: string[] }> = []
    for (const p of parts) {
      const c = replicasOf(p).filter(usable)
      if (c.length === 0) { missing.push(p); continue }
      const others = c.filter((n) => n !== self)
      const mine = others.length < c.length && (c.length === 1 || this.#opts.caughtUp?.(p) !== false)
      if (mine || others.length === 0) assign(self, p)
      else elsewhere.push({ p, others })
    }
    // what this node does not answer goes to the replica that can answer for most of it
    const cover = new Map<string, number>()
    for (const { others } of elsewhere) for (const n of others) cover.set(n, (cover.get(n) ?? 0) + 1)
    for (const { p, others } of elsewhere) {
      assign(others.reduce((best, n) => ((cover.get(n) ?? 0) > (cover.get(best) ?? 0) || ((cover.get(n) ?? 0) === (cover.get(best) ?? 0) && n < best) ? n : best)), p)
    }
    return { plan, missing }
  }

  async #askOne (node: string, query: SearchQuery, viewer: SearchViewer, parts: number[], vector: number[] | undefined): Promise<NodeAnswer> {
    const all = parts.length === this.#opts.partitions ? undefined : parts
    if (node === this.#opts.self) {
      const local = this.#opts.local()
      if (local === undefined) throw new SearchUnavailableError(`${node} keeps no search index`)
      return await answerLocally(node, local, query, viewer, all, vector)
    }
    return checkNodeAnswer(await this.#opts.ask(node, { query, viewer, partitions: parts, ...(vector !== undefined && { vector }) }), node)
  }

  #merge (query: SearchQuery, answers: readonly NodeAnswer[], failed: SearchResult['failed'], missing: number[], embedMs: number): SearchResult {
    const best = new Map<string, WireHit>()
    for (const a of answers) {
      for (const h of a.hits) {
        const key = `${h.entity}\0${h.seq}`
        const had = best.get(key)
        if (had === undefined || h.score > had.score) best.set(key, h)
      }
    }
    const hits = [...best.values()].sort((a, b) => b.score - a.score || b.ts - a.ts).slice(0, query.limit).map(toHit)
    const incomplete = answers.filter((a) => !a.complete).map((a) => a.node)
    const used = answers.filter((a) => a.semantic === 'used').length
    const semantic = query.mode === 'text' ? 'not-asked' : used === 0 ? 'unavailable' : used === answers.length ? 'used' : 'partial'
    const partial = missing.length > 0 || incomplete.length > 0
    if (partial) this.stats.partial++
    return { hits, partial, missing, incomplete, failed, semantic, embedMs }
  }
}

function toHit (h: WireHit): SearchHit {
  const slash = h.entity.indexOf('/')
  return { kind: h.entity.startsWith('room/') ? 'room' : 'agent', name: h.entity.slice(slash + 1), seq: h.seq, author: h.author, ts: h.ts, snippet: h.snippet, marks: h.marks, score: h.score }
}

/** Another node's answer to `touched`, checked: an erasure trusts it. */
export function checkTouchedAnswer (value: unknown, node: string): TouchedAnswer {
  const a = value as Partial<TouchedAnswer> | null
  if (a === null || typeof a !== 'object' || typeof a.complete !== 'boolean' ||
    !(a.rooms === null || (Array.isArray(a.rooms) && a.rooms.length <= MAX_TOUCHED_ROOMS && a.rooms.every(isRoomName)))) {
    throw new SearchUnavailableError(`${node} answered which rooms name a user with something that is not such an answer`)
  }
  return { node, rooms: a.rooms, complete: a.complete }
}

/** Another node's answer, checked: its hits are shown to users. */
export function checkNodeAnswer (value: unknown, node: string): NodeAnswer {
  const a = value as Partial<NodeAnswer> | null
  const bad = (): never => { throw new SearchUnavailableError(`${node} answered a search with something that is not a search answer`) }
  if (a === null || typeof a !== 'object' || !Array.isArray(a.hits) || a.hits.length > MAX_SEARCH_LIMIT * 4 || typeof a.complete !== 'boolean' || !['used', 'unavailable', 'not-asked'].includes(a.semantic as string)) return bad()
  for (const h of a.hits as unknown[]) {
    const x = h as Partial<WireHit> | null
    if (x === null || typeof x !== 'object' || typeof x.entity !== 'string' || !(x.entity.startsWith('room/') || x.entity.startsWith('agent/')) || !Number.isSafeInteger(x.seq) ||
      typeof x.author !== 'string' || typeof x.ts !== 'number' || typeof x.snippet !== 'string' || x.snippet.length > MAX_SNIPPET_CHARS || !Array.isArray(x.marks) || typeof x.score !== 'number' || !Number.isFinite(x.score)) return bad()
  }
  return { node, hits: a.hits as WireHit[], complete: a.complete as boolean, semantic: a.semantic as NodeAnswer['semantic'], embedMs: typeof a.embedMs === 'number' ? a.embedMs : 0 }
}
