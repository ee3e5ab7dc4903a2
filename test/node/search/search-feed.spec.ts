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
})
