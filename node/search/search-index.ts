import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe } from '../../protocols/index.ts'
import type { Job } from '../../protocols/index.ts'
import type { JobControl } from '../jobs/index.ts'
import { SEARCH_DB_FILE, VECTOR_FILE } from './constants.ts'
import { EmbedQueue } from './embedder.ts'
import type { Embedder } from './embedder.ts'
import type { OpenVerdict } from './fts-index.ts'
import { IndexRebuild, holdsIndexed } from './index-rebuild.ts'
import type { RebuildSource } from './index-rebuild.ts'
import type { IndexOps } from './index-ops.ts'
import { IndexThread } from './index-thread.ts'
import type { OpenedIndex } from './index-thread.ts'
import type { LocalResult } from './local-index.ts'
import { LagWindow } from './lag-window.ts'
import { SearchFeed } from './search-feed.ts'
import { storedTexts, textKey } from './stored-texts.ts'
import { makeSnippet, snippetTerms } from './snippet.ts'
import type { FeedChange } from './search-feed.ts'
import type { SearchQuery, SearchViewer } from './search-query.ts'

export interface SearchIndexOptions {
  /** Where the index's files live (the node's data dir). */
  readonly dir: string
  /** The replica store: what the index follows (watch) and is rebuilt from. */
  readonly storage: RebuildSource & { watch (listener: (change: FeedChange) => void): () => void }
  /** Embeddings for semantic search (absent: this node answers text queries only). */
  readonly embedder?: Embedder | undefined
  /** Runs the rebuild as a job with progress (absent: a plain background task). */
  readonly jobs?: { start (kind: 'reindex', target: string | null, run: (control: JobControl) => Promise<string | void>): Job } | undefined
  readonly log?: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void } | undefined
  /** Indexing lag of each batch (ms): the metrics' histogram. */
  readonly onLag?: (ms: number) => void
  /** Ends the index's thread once it has been idle this long (ms), whole and with nothing on its
   * way to it; the next change or search starts it again (IndexThread's idleMs; the node's:
   * SEARCH_THREAD_IDLE_MS). Absent: the thread runs until close. */
  readonly idleMs?: number | undefined
  /** Told each time the thread has ended to rest (tests). */
  readonly onRest?: () => void
  /** Test seam: the feed's batch timing (search-feed.ts). */
  readonly feed?: { readonly flushMs?: number, readonly queueMax?: number, readonly bulkQuietMs?: number }
}

/** A local search's answer with what a caller needs to judge it. */
export interface IndexAnswer extends LocalResult {
  /** False while the index is being rebuilt (or was lost): hits may be missing. */
  readonly complete: boolean
  /** Time the query's embedding took here (ms; 0 when none was made). */
  readonly embedMs: number
}

/**
 * A node's search index as a whole: the index thread (FTS5 and vectors), the feed that follows the
 * replica store into it, the rebuild that runs when the file cannot be trusted (missing, another
 * format, not closed cleanly, never completed) or the feed lost changes, and the embedder's queue.
 * Searches are answered all along; `complete` says whether the index is a full copy of the store.
 */
export class SearchIndex {
  readonly #opts: SearchIndexOptions
  readonly #thread: IndexThread
  readonly #feed: SearchFeed
  readonly #embeds: EmbedQueue | undefined
  readonly lag = new LagWindow()
  readonly stats = { searches: 0, rebuilds: 0, lastVerdict: 'ok' as OpenVerdict }
  #unwatch: (() => void) | undefined
  #opening: Promise<void> = Promise.resolve()
  /** Until the start has decided whether the thread opens the file now or at its first request:
   * the feed's batches wait for it (a batch before the open would reach a thread with no index). */
  #decided: Promise<unknown> = Promise.resolve()
  /** Started with no file and nothing to index: the thread's first open creates the file. */
  #fresh = false
  /** While a rebuild is due or running: the seqs the feed changed since (the rebuild leaves them). */
  #touched: Set<string> | undefined
  readonly #abort = new AbortController()
  #rebuildDone: Promise<void> | undefined
  #rebuildAgain = false
  #complete = false
  #progress = { done: 0, total: 0 }
  #closed = false
  /** Every row is embedded again (the vector file was not saved whole): until it ends, the vector
   * index is not whole. */
  #reembedding = false
  #reembedDone: Promise<void> | undefined
  #reembedAgain = false

  private constructor (opts: SearchIndexOptions) {
    this.#opts = opts
    this.#thread = new IndexThread({ lazy: true, idleMs: opts.idleMs, mayRest: () => this.#mayRest(), onReopen: (opened) => { this.#reopened(opened) }, onRest: opts.onRest })
    const embedder = opts.embedder
    this.#embeds = embedder === undefined
      ? undefined
      : new EmbedQueue({
        embedder,
        store: async (ids, vectors) => { await this.#thread.addVectors(ids, vectors) },
        onError: (err) => { opts.log?.warn({ err }, `search: embedding posts failed: ${describe(err)}`) }
      })
    this.#feed = new SearchFeed({
      apply: async (ops) => { await this.#decided; return await this.#thread.apply(ops) },
      onPut: (rows) => { this.#embeds?.add(rows) },
      onOps: (ops) => { if (this.#touched !== undefined) touch(this.#touched, ops) },
      onLost: (why) => { this.#lost(why) },
      onLag: (ms) => { this.lag.add(ms); opts.onLag?.(ms) },
      readStored: async (entity, from, limit) => await opts.storage.storedRecords(entity, from, limit),
      ...opts.feed
    })
  }

  /** Opens the index (a fresh thread), follows the store from now on, and starts a rebuild when
   * the file cannot be trusted; resolves once the thread has opened the file (`start`, then
   * `opened`). */
  static async open (opts: SearchIndexOptions): Promise<SearchIndex> {
    const index = SearchIndex.start(opts)
    await index.opened()
    return index
  }

  /**
   * Follows the store from now on and opens the index on its thread in the background: a node's
   * start does not wait for the thread to boot (a few hundred ms); the feed's batches are sent
   * after the open and wait behind it, and the seqs they change are kept aside (as during a
   * rebuild) until the file's verdict says whether a rebuild is due. With no file and no room or
   * agent in the store (a new node), the index is whole and empty, and its thread starts with the
   * first change or search instead: a thread that ran leaves memory behind after it rests
   * (docs/performance.md, "Idle memory").
   */
  static start (opts: SearchIndexOptions): SearchIndex {
    const index = new SearchIndex(opts)
    const embedder = opts.embedder
    index.#touched = new Set()
    index.#unwatch = opts.storage.watch((change) => { index.#feed.take(change) })
    const openWith = {
      dbPath: join(opts.dir, SEARCH_DB_FILE),
      ...(embedder !== undefined && { vectors: { path: join(opts.dir, VECTOR_FILE), dimensions: embedder.dimensions } })
    }
    // (the store is read after the watch began: a room written before the read is seen by it, one after by the feed)
    const decision = (existsSync(openWith.dbPath) ? Promise.resolve(true) : holdsIndexed(opts.storage).catch(() => true)).then((open) => {
      if (open) return index.#thread.open(openWith)
      index.#thread.openLater(openWith, { rows: 0, bytes: 0, vectors: 0 })
      index.#fresh = true
      index.#complete = true
      index.#touched = undefined
      return undefined
    })
    index.#decided = decision.catch(() => undefined)
    index.#opening = decision.then((opened) => { if (opened !== undefined) index.#opened(opened) }, (err: unknown) => {
      // the thread is dead: every search and batch fails and says so; the file is rebuilt at the next start
      opts.log?.warn({ err }, `search: the index could not be opened: ${describe(err)}`)
    })
    return index
  }

  /** Resolves once the thread opened the file (or failed to: the index then stays incomplete). */
  async opened (): Promise<void> { await this.#opening }

  #opened (opened: OpenedIndex): void {
    this.stats.lastVerdict = opened.verdict
    if (this.#closed) return
    if (opened.verdict === 'ok' && opened.complete) {
      this.#complete = true
      this.#touched = undefined
      if (this.#opts.embedder !== undefined && !opened.vectorsLoaded) this.#reembed()
    } else {
      this.#opts.log?.info({ verdict: opened.verdict }, `search: the index file is ${opened.verdict === 'missing' ? 'missing' : opened.verdict === 'format' ? 'of another format' : opened.verdict === 'unclean' ? 'not closed cleanly' : 'incomplete'}: rebuilding it from the replica store`)
      this.#startRebuild()
    }
  }

  /** Whether the thread may close the index and end (IndexThread's rest): only a whole index, with
   * no rebuild or re-embedding running and no change waiting for it (a change on its way when the
   * thread has ended starts it again: what is asked of a resting thread waits for the next one). */
  #mayRest (): { vectorsWhole: boolean } | undefined {
    if (this.#closed || !this.complete || this.#rebuildDone !== undefined || this.#reembedding || this.#feed.queued > 0) return undefined
    const e = this.#embeds
    // a row not embedded: the vectors are not whole, and a rest would drop them (close keeps them)
    if (e !== undefined && (e.queued > 0 || e.stats.skipped > 0 || e.stats.failed > 0)) return undefined
    return { vectorsWhole: true }
  }

  /** The thread started again after a rest opened the file it closed: anything but a whole file (a
   * disk that lost it meanwhile) is rebuilt as at a start. */
  #reopened (opened: OpenedIndex): void {
    if (this.#closed) return
    if (this.#fresh && opened.verdict === 'missing') {
      // the file is new, and every change since the store was read comes through the feed
      this.#fresh = false
      this.#thread.setComplete(true).catch(() => { /* the thread died: every later call fails and says so */ })
      return
    }
    this.#fresh = false
    if (opened.verdict !== 'ok' || !opened.complete) this.#lost(`the index file was ${opened.verdict}${opened.complete ? '' : ', incomplete,'} when its thread started again`)
    else if (this.#opts.embedder !== undefined && !opened.vectorsLoaded) this.#reembed()
  }

  /** Whether the index holds everything the store does (no rebuild running or due, no imported
   * post waiting). */
  get complete (): boolean { return this.#complete && this.#feed.behind === 0 }
  get rebuilding (): boolean { return this.#rebuildDone !== undefined }
  get progress (): { done: number, total: number } { return { ...this.#progress } }
  get feed (): SearchFeed { return this.#feed }
  get embeds (): EmbedQueue | undefined { return this.#embeds }

  /** Searches this node's index (of these partitions only: undefined, all), embedding the query
   * when its mode needs a vector and none came with it. */
  async search (query: SearchQuery, viewer: SearchViewer, partitions?: readonly number[], vector?: Float32Array): Promise<IndexAnswer> {
    this.stats.searches++
    let embedMs = 0
    let v = vector
    if (query.mode !== 'text' && v === undefined && this.#opts.embedder !== undefined) {
      const started = performance.now()
      v = (await this.#opts.embedder.embed([query.text]))[0]
      embedMs = performance.now() - started
    }
    const result = await this.#thread.search({ query, viewer, ...(partitions !== undefined && { partitions }), ...(v !== undefined && { vector: v }) })
    return { ...result, hits: await this.#withSnippets(result.hits, query), complete: this.complete, embedMs }
  }

  /** Each hit with its snippet, made from the post as this node's store holds it now (the index
   * keeps no text); a hit whose post has no text there any more (redacted, trimmed a moment ago, the
   * index not yet told) is dropped. */
  async #withSnippets (hits: LocalResult['hits'], query: SearchQuery): Promise<LocalResult['hits']> {
    const terms = query.mode === 'semantic' ? [] : snippetTerms(query.text)
    const texts = await storedTexts(this.#opts.storage, hits)
    const out: LocalResult['hits'] = []
    for (const h of hits) {
      const text = texts.get(textKey(h.entity, h.seq)) ?? ''
      if (text !== '') out.push({ ...h, ...makeSnippet(text, terms) })
    }
    return out
  }

  /**
   * The rooms whose records held by this node's store name any of `users` (a post, an imported
   * post's original author, a join): every change that landed before the call included (the feed's
   * live changes are sent first; imported posts waiting to be indexed were noted as they landed).
   * `complete` false: the index is being rebuilt (or lost changes), and the list may miss some.
   */
  async touchedBy (users: readonly string[]): Promise<{ rooms: string[], complete: boolean }> {
    if (!this.#complete) return { rooms: [], complete: false }
    await this.#feed.barrier()
    const entities = await this.#thread.touchedBy(users)
    // a batch lost meanwhile (a rebuild started): what the file holds may miss some
    return { rooms: entities.filter((e) => e.startsWith('room/')).map((e) => e.slice('room/'.length)), complete: this.#complete }
  }

  /** Rows, bytes on disk and vectors held. */
  async size (): Promise<{ rows: number, bytes: number, vectors: number }> {
    return await this.#thread.stats()
  }

  /** Resolves once every change taken so far is in the index (and embedded), and any rebuild ended. */
  async settled (): Promise<void> {
    while (this.#rebuildDone !== undefined) await this.#rebuildDone
    await this.#reembedDone
    await this.#feed.drain()
    await this.#embeds?.drain()
  }

  /** The feed lost changes: what the index holds is dropped (a dropped change may have been a
   * removal) and it is rebuilt from the store. */
  #lost (why: string): void {
    if (this.#closed) return
    this.#opts.log?.warn({ why }, `search: the index lost changes (${why}): rebuilding it`)
    // posted now, so that every batch the feed sends from here on lands after it
    this.#thread.reset().catch(() => { /* the thread died: every later call fails and says so */ })
    this.#touched = new Set()
    this.#startRebuild()
  }

  #startRebuild (): void {
    if (this.#closed) return
    this.#complete = false
    this.#touched ??= new Set()
    if (this.#rebuildDone !== undefined) { this.#rebuildAgain = true; return }
    this.#rebuildDone = this.#rebuildRounds().finally(() => { this.#rebuildDone = undefined })
  }

  /** Rebuilds until a round ends with nothing lost meanwhile; then the index is complete. */
  async #rebuildRounds (): Promise<void> {
    do {
      this.#rebuildAgain = false
      this.stats.rebuilds++
      try {
        const rows = await this.#rebuildOnce()
        if (this.#closed) return
        if (!this.#rebuildAgain) {
          await this.#thread.setComplete(true)
          this.#complete = true
          this.#touched = undefined
          this.#opts.log?.info({ rows }, `search: the index was rebuilt (${rows} posts)`)
          // the rebuild's rows are embedded after it, a page at a time (never past the bounded queue)
          this.#reembed()
        }
      } catch (err) {
        if (this.#closed) return
        this.#opts.log?.warn({ err }, `search: rebuilding the index failed: ${describe(err)}; it stays incomplete until the next start`)
        return
      }
    } while (this.#rebuildAgain && !this.#closed)
  }

  /** One pass over the store, as a job when the node has jobs. */
  async #rebuildOnce (): Promise<number> {
    await this.#thread.setComplete(false)
    return await new Promise<number>((resolve, reject) => {
      const run = async (control?: JobControl): Promise<string> => {
        try {
          const { rows } = await new IndexRebuild({
            source: this.#opts.storage,
            apply: async (ops) => await this.#thread.apply(ops),
            skip: (entity, seq) => this.#touched?.has(`${entity}\0${seq}`) === true,
            onProgress: (p) => {
              this.#progress = { done: p.done, total: p.total }
              control?.progress({ total: p.total, done: p.done, message: `${p.rows} posts indexed, ${p.done} of ${p.total} partitions read` })
            },
            signal: control?.signal ?? this.#abort.signal
          }).run()
          resolve(rows)
          return `${rows} posts indexed from ${this.#progress.total} partitions`
        } catch (err) {
          reject(err)
          throw err
        }
      }
      if (this.#opts.jobs === undefined) run().catch(() => { /* rejected the promise above */ })
      else this.#opts.jobs.start('reindex', null, run)
    })
  }

  /** Every row is embedded again, a page at a time: the vector file was not saved whole, or a
   * rebuild put the rows back. */
  #reembed (): void {
    const embeds = this.#embeds
    if (embeds === undefined) return
    if (this.#reembedding) { this.#reembedAgain = true; return }
    this.#reembedding = true
    this.#reembedDone = (async () => {
      do {
        this.#reembedAgain = false
        for (let after = 0; !this.#closed;) {
          const rows = await this.#thread.rowsAfter(after, 1_000)
          if (rows.length === 0) break
          // the texts from the store (the index keeps none), a few at a time
          const texts: Array<{ id: number, text: string }> = []
          for (let i = 0; i < rows.length; i += 50) {
            const page = rows.slice(i, i + 50)
            const read = await storedTexts(this.#opts.storage, page)
            for (const r of page) {
              const text = read.get(textKey(r.entity, r.seq)) ?? ''
              if (text !== '') texts.push({ id: r.id, text })
            }
          }
          embeds.add(texts)
          await embeds.drain()
          after = (rows[rows.length - 1] as { id: number }).id
        }
      } while (this.#reembedAgain && !this.#closed)
      if (!this.#closed) this.#reembedding = false
    })().catch((err: unknown) => { this.#opts.log?.warn({ err }, `search: embedding the index again failed: ${describe(err)}`) })
  }

  /** Stops following the store, lets what was taken reach the index, and closes it cleanly (a
   * rebuild in progress is abandoned: the file stays incomplete and is rebuilt at the next start). */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#unwatch?.()
    this.#closed = true
    this.#abort.abort()
    // the thread's open first: what close sends it must come after (it never rejects)
    await this.#opening
    await this.#feed.stop().catch(() => undefined)
    await this.#rebuildDone?.catch(() => undefined)
    // imported posts the feed had not indexed yet: the file is not whole, the next start rebuilds it
    if (this.#feed.behind > 0 && this.#complete) {
      this.#complete = false
      await this.#thread.setComplete(false).catch(() => undefined)
    }
    await this.#embeds?.drain()
    // a row not embedded (skipped, failed, or a rebuild cut short) is missing from the vectors: the
    // file is then not saved, and the next open embeds every row again
    const s = this.#embeds?.stats
    await this.#thread.close(s === undefined || (s.skipped === 0 && s.failed === 0 && this.#complete && !this.#reembedding))
  }
}

/** Marks the seqs these ops change as the feed's. */
function touch (touched: Set<string>, ops: IndexOps): void {
  for (const [e, s] of ops.remove) touched.add(`${e}\0${s}`)
  for (const [e, s] of ops.redact) touched.add(`${e}\0${s}`)
  for (const r of ops.put) touched.add(`${r.entity}\0${r.seq}`)
}
