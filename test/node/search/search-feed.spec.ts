import { expect } from 'chai'
import { SearchFeed } from '../../../node/search/index.ts'
import type { IndexOps } from '../../../node/search/index.ts'

const posted = (seq: number, text: string): { seq: number, event: unknown } => ({ seq, event: { type: 'message-posted', user: 'ann', text, ts: seq } })

describe('SearchFeed', () => {
  it('should send what lands in batches, in order, ending as the changes did (a removal cancels an earlier put of its seq)', async () => {
    const applied: IndexOps[] = []
    const lags: number[] = []
    const feed = new SearchFeed({ apply: async (ops) => { applied.push(ops); return ops.put.map((r, i) => ({ id: i, text: r.text })) }, onLost: () => expect.fail('lost'), onLag: (ms) => { lags.push(ms) }, flushMs: 5 })
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [posted(1, 'one'), posted(2, 'two')] })
    feed.take({ partition: 1, entity: 'room/a', removed: [2], put: [] })
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [posted(2, 'two again')] })
    feed.take({ partition: 2, entity: 'users/x', removed: [], put: [posted(1, 'not indexed')] })
    expect(feed.queued).to.equal(4)
    await feed.drain()
    expect(applied).to.have.length(1)
    expect(applied[0]?.put.map((r) => r.text)).to.deep.equal(['one', 'two again'])
    expect(applied[0]?.remove).to.deep.equal([['room/a', 2]])
    expect(lags).to.have.length(1)
    expect(feed.stats).to.include({ changes: 4, batches: 1, rowsPut: 2, lost: 0 })
  })

  it('should drop what waits and say the index is lost past its bound, or when a batch fails', async () => {
    const lost: string[] = []
    let failing = false
    const feed = new SearchFeed({ apply: async () => { if (failing) throw new Error('disk full'); return [] }, onLost: (why) => { lost.push(why) }, queueMax: 2, flushMs: 1_000 })
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [posted(1, 'a'), posted(2, 'b'), posted(3, 'c')] })
    expect(lost).to.deep.equal(['more than 2 changes waited for the index thread'])
    expect(feed.queued).to.equal(0)
    failing = true
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [posted(4, 'd')] })
    await feed.drain()
    expect(lost[1]).to.equal('a batch of 1 changes failed in the index: Error: disk full')
    await feed.stop()
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [posted(5, 'e')] })
    expect(feed.queued, 'stopped').to.equal(0)
  })

  it('should index imported posts behind the live ones: nothing of them held, read back from the store as it is then', async () => {
    const imported = (seq: number, text: string): { seq: number, event: unknown } => ({ seq, event: { type: 'message-posted', user: 'loader', text, ts: seq, importedFrom: { user: 'bob', ts: 1000 + seq } } })
    // the store: what readStored answers (a redaction of seq 2 lands before the feed reads it back)
    const store = new Map<number, { seq: number, event: unknown }>([[1, imported(1, 'old one')], [2, imported(2, 'old two')], [3, imported(3, 'old three')]])
    const applied: IndexOps[] = []
    const reads: Array<[string, number, number]> = []
    const feed = new SearchFeed({
      apply: async (ops) => { applied.push(ops); return ops.put.map((r, i) => ({ id: i, text: r.text })) },
      onLost: () => expect.fail('lost'),
      readStored: async (entity, from, limit) => { reads.push([entity, from, limit]); return [...store.values()].filter((r) => r.seq >= from).slice(0, limit) },
      // (never by time here: drain sends them)
      bulkQuietMs: 60_000,
      batch: 2
    })
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [imported(1, 'old one'), imported(2, 'old two')] })
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [imported(3, 'old three')] })
    expect(feed.queued).to.equal(0)
    expect(feed.behind).to.equal(3)
    // a live post goes at once, while the imported ones wait
    feed.take({ partition: 1, entity: 'room/b', removed: [], put: [posted(1, 'live')] })
    expect(feed.queued).to.equal(1)
    store.set(2, { seq: 2, event: { ...(imported(2, '').event as object), text: '', redacted: { by: 'bob' } } })
    await feed.drain()
    expect(applied.map((ops) => ops.put.map((r) => r.text))).to.deep.equal([['live'], ['old one'], ['old three']])
    // the redacted post is dropped, not put; imported posts are their original author's, at their time
    expect(applied[1]?.remove).to.deep.equal([['room/a', 2]])
    expect(applied[1]?.put[0]).to.include({ author: 'bob', ts: 1001 })
    expect(reads).to.deep.equal([['room/a', 1, 2], ['room/a', 3, 1]])
    expect(feed.behind).to.equal(0)
    expect(feed.stats).to.include({ deferred: 3, caughtUp: 3 })
  })

  it('should note who imported posts name at once while the posts wait, and pass a barrier once what came before it is in', async () => {
    const imported = (seq: number): { seq: number, event: unknown } => ({ seq, event: { type: 'message-posted', user: 'loader', text: `old ${seq}`, ts: seq, importedFrom: { user: 'bob', ts: seq } } })
    const applied: IndexOps[] = []
    let release: (() => void) | undefined
    const feed = new SearchFeed({
      apply: async (ops) => {
        applied.push(ops)
        // the second batch is held until the test lets it go
        if (applied.length === 2) await new Promise<void>((resolve) => { release = resolve })
        return []
      },
      onLost: () => expect.fail('lost'),
      readStored: async () => expect.fail('imported posts read before they paused'),
      bulkQuietMs: 60_000,
      flushMs: 60_000
    })
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [imported(1), imported(2)] })
    expect(feed.queued, 'the posts wait').to.equal(0)
    await feed.barrier()
    expect(applied.map((ops) => [ops.put.length, ops.touch])).to.deep.equal([[0, [['room/a', 'loader', 1], ['room/a', 'bob', 1]]]])
    // a barrier waits for a batch in flight that holds what came before it, not for what comes after
    feed.take({ partition: 1, entity: 'room/b', removed: [], put: [posted(1, 'live')] })
    let passed = false
    const barrier = feed.barrier().then(() => { passed = true })
    while (release === undefined) await new Promise((resolve) => setImmediate(resolve))
    feed.take({ partition: 1, entity: 'room/c', removed: [], put: [posted(1, 'later')] })
    await new Promise((resolve) => setImmediate(resolve))
    expect(passed, 'its batch is still in flight').to.equal(false)
    release()
    await barrier
    expect(applied).to.have.length(2)
    expect(feed.queued, 'what came after still waits').to.equal(1)
    await feed.barrier()
    expect(applied.map((ops) => ops.put.map((r) => r.text))).to.deep.equal([[], ['live'], ['later']])
    expect(feed.behind, 'the imported posts still wait').to.equal(2)
    await feed.stop()
  })

  it('should take a redaction\'s rewrite of imported posts at once, not behind the imports', async () => {
    const applied: IndexOps[] = []
    const feed = new SearchFeed({ apply: async (ops) => { applied.push(ops); return [] }, onLost: () => expect.fail('lost'), readStored: async () => expect.fail('read back'), bulkQuietMs: 60_000, flushMs: 60_000 })
    const scrubbed = { seq: 7, event: { type: 'message-posted', user: 'loader', text: '', ts: 7, importedFrom: { user: 'bob', ts: 1 }, redacted: { by: 'admin', ts: 9 } } }
    feed.take({ partition: 1, entity: 'room/a', removed: [], put: [scrubbed] })
    expect(feed.behind).to.equal(0)
    expect(feed.queued).to.equal(1)
    await feed.barrier()
    expect(applied[0]?.remove).to.deep.equal([['room/a', 7]])
    await feed.stop()
  })

  it('should leave imported posts waiting at a stop (the index is then marked incomplete and rebuilt)', async () => {
    const feed = new SearchFeed({ apply: async () => [], onLost: () => expect.fail('lost'), readStored: async () => expect.fail('read at a stop'), bulkQuietMs: 60_000 })
    feed.take({ partition: 1, entity: 'agent/ann', removed: [], put: [{ seq: 1, event: { type: 'turns-imported', turns: [{ role: 'user', content: 'hi' }] } }] })
    await feed.stop()
    expect(feed.behind).to.equal(1)
  })
})
