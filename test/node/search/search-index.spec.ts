import { expect } from 'chai'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SEARCH_DB_FILE } from '../../../node/search/constants.ts'
import { SearchIndex, checkSearchQuery } from '../../../node/search/index.ts'
import type { Embedder, FeedChange, RecordLike } from '../../../node/search/index.ts'

/** A replica store as the index sees it: records per entity, and watchers told of every change. */
class FakeStore {
  readonly partitions = 4
  readonly records = new Map<string, RecordLike[]>()
  readonly listeners = new Set<(c: FeedChange) => void>()
  reads = 0
  watch (l: (c: FeedChange) => void): () => void { this.listeners.add(l); return () => { this.listeners.delete(l) } }
  partitionOf (entity: string): number { return entity.length % this.partitions }
  async entitiesOfPartition (p: number, after: string, limit: number): Promise<string[]> {
    return [...this.records.keys()].filter((e) => this.partitionOf(e) === p && e > after).sort().slice(0, limit)
  }
  async storedRecords (entity: string, from: number, limit: number): Promise<RecordLike[]> {
    this.reads++
    return (this.records.get(entity) ?? []).filter((r) => r.seq >= from).slice(0, limit)
  }
  /** Stores and tells, as a write that landed does. */
  land (entity: string, put: RecordLike[], removed: number[] = []): void {
    const kept = (this.records.get(entity) ?? []).filter((r) => !removed.includes(r.seq) && !put.some((p) => p.seq === r.seq))
    this.records.set(entity, [...kept, ...put].sort((a, b) => a.seq - b.seq))
    for (const l of this.listeners) l({ partition: this.partitionOf(entity), entity, removed, put })
  }
}

const post = (seq: number, text: string, user = 'ann'): RecordLike => ({ seq, event: { type: 'message-posted', user, text, ts: 1000 + seq } })
const query = (text: string, more: object = {}): ReturnType<typeof checkSearchQuery> => checkSearchQuery({ text, ...more })

describe('SearchIndex', () => {
  let dir: string
  const open: SearchIndex[] = []
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'plexi-search-')) })
  afterEach(async () => {
    for (const i of open.splice(0)) await i.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const openIndex = async (store: FakeStore, embedder?: Embedder): Promise<SearchIndex> => {
    const index = await SearchIndex.open({ dir, storage: store, embedder, feed: { flushMs: 1 } })
    open.push(index)
    return index
  }

  it('should follow the store from its start while its thread opens the file, missing nothing that landed meanwhile, rebuilt or closed cleanly', async () => {
    const store = new FakeStore()
    store.land('room/ops', [post(1, 'before the first start: deploy')])
    const cases = [
      // no file yet: it is rebuilt, and what lands while the thread opens it is kept too
      { while: () => { store.land('room/ops', [post(2, 'while it opens: deploy again')]) }, seqs: [1, 2], rebuilds: 1 },
      // the file the first closed cleanly: trusted as it is, and the feed's changes land after the open
      { while: () => { store.land('room/ops', [post(3, 'deploy, third')]); store.land('room/ops', [], [1]) }, seqs: [2, 3], rebuilds: 0 }
    ]
    for (const [round, c] of cases.entries()) {
      const index = SearchIndex.start({ dir, storage: store, feed: { flushMs: 1 } })
      c.while()
      await index.opened()
      await index.settled()
      expect(index.complete, `round ${round}`).to.equal(true)
      expect((await index.search(query('deploy'), { user: 'ann' })).hits.map((h) => h.seq).sort(), `round ${round}`).to.deep.equal(c.seqs)
      expect(index.stats.rebuilds, `round ${round}`).to.equal(c.rebuilds)
      await index.close()
    }
  })

  it('should rebuild from the store when the file is missing, then follow what lands', async () => {
    const store = new FakeStore()
    store.land('room/ops', [post(1, 'the deploy is friday'), post(2, 'no deploy on friday', 'bob')])
    const index = await openIndex(store)
    expect(index.complete).to.equal(false)
    await index.settled()
    expect(index.complete).to.equal(true)
    expect((await index.search(query('deploy'), { user: 'ann' })).hits).to.have.length(2)
    store.land('room/ops', [post(3, 'deploy moved to monday')])
    store.land('room/ops', [{ seq: 4, event: { type: 'message-redacted', seq: 1, by: 'ann', ts: 9 } }])
    store.land('room/ops', [], [2])
    await index.settled()
    const answer = await index.search(query('deploy'), { user: 'ann' })
    expect(answer.hits.map((h) => h.seq)).to.deep.equal([3])
    expect(answer).to.include({ complete: true, semantic: 'not-asked' })
    expect(index.lag.count).to.be.greaterThan(0)
  })

  it('should trust its file after a clean close and rebuild it after a crash', async () => {
    const store = new FakeStore()
    store.land('room/a', [post(1, 'kept across restarts')])
    const first = await openIndex(store)
    await first.settled()
    await first.close()
    store.reads = 0
    const second = await openIndex(store)
    expect(second.complete, 'closed cleanly and complete').to.equal(true)
    expect(store.reads, 'nothing read back').to.equal(0)
    expect((await second.search(query('restarts'), { user: null })).hits).to.have.length(1)
    // a crash: the file is left open (never closed) and another index opens it
    const third = await openIndex(store)
    expect(third.complete).to.equal(false)
    await third.settled()
    expect((await third.search(query('restarts'), { user: null })).hits).to.have.length(1)
  })

  it('should index an import once it paused, say it is incomplete until then, and rebuild at the next start when closed before', async () => {
    const imported = (seq: number, text: string): RecordLike => ({ seq, event: { type: 'message-posted', user: 'loader', text, ts: 5, importedFrom: { user: 'bob', ts: 1000 + seq } } })
    const store = new FakeStore()
    const first = await SearchIndex.open({ dir, storage: store, feed: { flushMs: 1, bulkQuietMs: 60_000 } })
    await first.settled()
    store.land('room/a', [imported(1, 'imported kangaroo'), imported(2, 'imported wombat')])
    expect(first.complete, 'imported posts wait').to.equal(false)
    expect((await first.search(query('kangaroo'), { user: null })).complete).to.equal(false)
    // closed with them waiting: the file is not whole
    await first.close()
    const second = await openIndex(store)
    expect(second.complete, 'rebuilding').to.equal(false)
    await second.settled()
    expect(second.complete).to.equal(true)
    const hits = (await second.search(query('wombat'), { user: null })).hits
    expect(hits.map((h) => [h.seq, h.author])).to.deep.equal([[2, 'bob']])
    // and one that stays up indexes them once they paused (drained here, as the pause would)
    store.land('room/a', [imported(3, 'imported platypus')])
    expect(second.complete).to.equal(false)
    await second.settled()
    expect(second.complete).to.equal(true)
    expect((await second.search(query('platypus'), { user: null })).hits).to.have.length(1)
  })

  it('should say which rooms name a user, what landed just before included, and that it cannot while rebuilding', async () => {
    const store = new FakeStore()
    store.records.set('room/old', [post(1, 'from before the index', 'bob')])
    const index = await SearchIndex.open({ dir, storage: store, feed: { flushMs: 60_000 } })
    open.push(index)
    expect(await index.touchedBy(['bob']), 'rebuilding from the store').to.deep.equal({ rooms: [], complete: false })
    await index.settled()
    expect(await index.touchedBy(['bob'])).to.deep.equal({ rooms: ['old'], complete: true })
    store.land('room/new', [post(1, 'just now', 'bob'), { seq: 2, event: { type: 'member-joined', user: 'cid', ts: 2 } }])
    // (the feed would send it in a minute: the question sends it first)
    expect(await index.touchedBy(['bob', 'cid'])).to.deep.equal({ rooms: ['new', 'old'], complete: true })
    store.land('room/new', [{ seq: 1, event: { type: 'message-posted', user: 'bob', text: '', ts: 1, redacted: { by: 'bob', ts: 3 } } }])
    expect((await index.touchedBy(['bob'])).rooms, 'a redacted post is still theirs').to.deep.equal(['new', 'old'])
  })

  it('should rebuild when the feed overflows, and lose nothing the store holds', async () => {
    const store = new FakeStore()
    const index = await SearchIndex.open({ dir, storage: store, feed: { flushMs: 1_000, queueMax: 3 } })
    open.push(index)
    await index.settled()
    store.land('room/a', [post(1, 'one'), post(2, 'two'), post(3, 'three'), post(4, 'four')])
    expect(index.complete, 'lost: rebuilding').to.equal(false)
    await index.settled()
    expect(index.complete).to.equal(true)
    expect((await index.search(query('four'), { user: null })).hits).to.have.length(1)
  })

  it('should rank semantic and hybrid queries with the vectors an embedder gives', async () => {
    // 3 dimensions: [deploys, food, noise]; the query "ship it" means deploys
    const meaning: Record<string, number[]> = {
      'release train leaves at noon': [1, 0, 0.1],
      'pizza for lunch': [0, 1, 0],
      'ship it': [0.9, 0, 0.2],
      'ship the pizza': [0.5, 0.5, 0]
    }
    const embedder: Embedder = { dimensions: 3, embed: async (texts) => texts.map((t) => Float32Array.from(meaning[t] ?? [0, 0, 1])) }
    const store = new FakeStore()
    store.land('room/a', [post(1, 'release train leaves at noon'), post(2, 'pizza for lunch'), post(3, 'ship the pizza')])
    const index = await openIndex(store, embedder)
    await index.settled()
    const semantic = await index.search(query('ship it', { mode: 'semantic' }), { user: 'ann' })
    expect(semantic.semantic).to.equal('used')
    expect(semantic.hits.map((h) => h.seq)).to.deep.equal([1, 3, 2])
    const text = await index.search(query('ship it'), { user: 'ann' })
    expect(text.hits, 'no post has both words').to.deep.equal([])
    const hybrid = await index.search(query('pizza', { mode: 'hybrid' }), { user: 'ann' })
    expect(hybrid.hits.map((h) => h.seq).slice(0, 2)).to.have.members([2, 3])
    expect(hybrid.hits[0]?.marks, 'a text hit keeps its marks').to.have.length(1)
  })

  it('should keep the vectors across a clean close, and embed every row again when some were not embedded', async () => {
    let calls = 0
    let failing = false
    const embedder: Embedder = { dimensions: 2, embed: async (texts) => { calls += texts.length; if (failing) throw new Error('model unloaded'); return texts.map(() => Float32Array.from([1, 0])) } }
    const store = new FakeStore()
    store.land('room/a', [post(1, 'one'), post(2, 'two')])
    const first = await SearchIndex.open({ dir, storage: store, embedder, feed: { flushMs: 1 } })
    await first.settled()
    await first.close()
    calls = 0
    const second = await SearchIndex.open({ dir, storage: store, embedder, feed: { flushMs: 1 } })
    await second.settled()
    expect(calls, 'loaded as saved').to.equal(0)
    expect((await second.size()).vectors).to.equal(2)
    failing = true
    store.land('room/a', [post(3, 'three')])
    await second.settled()
    await second.close()
    failing = false
    calls = 0
    const third = await openIndex(store, embedder)
    await third.settled()
    // not saved: every row embedded again
    expect(calls).to.equal(3)
    expect((await third.size()).vectors).to.equal(3)
  })

  it('should answer semantic queries as unavailable without an embedder', async () => {
    const store = new FakeStore()
    store.land('room/a', [post(1, 'pizza')])
    const index = await openIndex(store)
    await index.settled()
    expect(await index.search(query('pizza', { mode: 'semantic' }), { user: 'ann' })).to.deep.include({ hits: [], semantic: 'unavailable' })
    expect((await index.search(query('pizza', { mode: 'hybrid' }), { user: 'ann' })).hits).to.have.length(1)
  })

  it('should end its idle thread and start it again for the next change, its file and vectors trusted as they were', async () => {
    let calls = 0
    const embedder: Embedder = { dimensions: 2, embed: async (texts) => { calls += texts.length; return texts.map(() => Float32Array.from([1, 0])) } }
    const store = new FakeStore()
    store.land('room/a', [post(1, 'deploy one')])
    let rested = (): void => undefined
    const rest = async (): Promise<void> => { await new Promise<void>((resolve) => { rested = resolve }) }
    let resting = rest()
    const index = await SearchIndex.open({ dir, storage: store, embedder, idleMs: 1, onRest: () => { rested() }, feed: { flushMs: 1 } })
    open.push(index)
    await index.settled()
    await resting
    resting = rest()
    expect(await index.size(), 'as it rested').to.include({ rows: 1, vectors: 1 })
    store.land('room/a', [post(2, 'deploy two')])
    await index.settled()
    expect((await index.search(query('deploy'), { user: 'ann' })).hits.map((h) => h.seq).sort()).to.deep.equal([1, 2])
    expect(index.complete).to.equal(true)
    expect(index.stats.rebuilds, 'the first start\'s only: the file was trusted when the thread started again').to.equal(1)
    expect(calls, 'each post embedded once: the vectors came back from their file').to.equal(2)
    expect((await index.size()).vectors).to.equal(2)
    // idle again: it rests again
    await resting
  })

  it('should start no thread while new with no room to index, and index the first change with no rebuild when it starts one', async () => {
    const store = new FakeStore()
    store.land('users/directory', [post(1, 'not indexed')])
    const index = await openIndex(store)
    expect(existsSync(join(dir, SEARCH_DB_FILE)), 'no thread has opened the file').to.equal(false)
    expect(index.complete).to.equal(true)
    expect(await index.size()).to.deep.equal({ rows: 0, bytes: 0, vectors: 0 })
    store.land('room/a', [post(1, 'deploy one')])
    await index.settled()
    expect((await index.search(query('deploy'), { user: 'ann' })).hits.map((h) => h.seq)).to.deep.equal([1])
    expect(existsSync(join(dir, SEARCH_DB_FILE))).to.equal(true)
    expect(index.complete).to.equal(true)
    expect(index.stats.rebuilds, 'the store had no room when it started').to.equal(0)
    await index.close()
    const again = await openIndex(store)
    expect(again.stats.lastVerdict).to.equal('ok')
    expect(again.complete, 'the file was marked whole').to.equal(true)
    expect(again.stats.rebuilds).to.equal(0)
    expect((await again.search(query('deploy'), { user: 'ann' })).hits.map((h) => h.seq)).to.deep.equal([1])
  })

  it('should open its file at the start when the store holds a room, though the file is missing', async () => {
    const store = new FakeStore()
    store.land('room/a', [post(1, 'deploy one')])
    const index = await openIndex(store)
    expect(existsSync(join(dir, SEARCH_DB_FILE))).to.equal(true)
    expect(index.stats.lastVerdict).to.equal('missing')
    await index.settled()
    expect(index.stats.rebuilds).to.equal(1)
    expect((await index.search(query('deploy'), { user: 'ann' })).hits.map((h) => h.seq)).to.deep.equal([1])
  })
})
