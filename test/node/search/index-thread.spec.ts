import { expect } from 'chai'
import { IndexThread, checkSearchQuery } from '../../../node/search/index.ts'

describe('IndexThread', () => {
  it('should run the index on its own thread, answer in order, and rebuild errors as their class', async () => {
    const thread = new IndexThread()
    try {
      expect(await thread.open({ dbPath: ':memory:' })).to.deep.equal({ verdict: 'missing', complete: false, vectorsLoaded: false })
      const applying = thread.apply({ put: [{ partition: 0, entity: 'room/a', seq: 1, author: 'ann', ts: 1, text: 'threaded' }], remove: [], redact: [], touch: [] })
      const searching = thread.search({ query: checkSearchQuery({ text: 'threaded' }), viewer: { user: 'ann' } })
      expect(thread.pending).to.equal(2)
      await applying
      expect((await searching).hits, 'answered after the apply sent before it').to.have.length(1)
      await thread.setComplete(true)
      expect(await thread.stats()).to.include({ rows: 1, vectors: 0 })
      expect(await thread.rowsAfter(0, 10)).to.have.deep.members([{ id: (await searching).hits[0]?.id, entity: 'room/a', seq: 1 }])
      const err = await thread.apply({ put: [{ partition: 0, entity: 'room/a', seq: null as unknown as number, author: 'ann', ts: 1, text: 'x' }], remove: [], redact: [], touch: [] }).then(() => undefined, (e: Error) => e)
      expect(err?.message).to.match(/NOT NULL/)
    } finally {
      await thread.close()
    }
    const after = await thread.stats().then(() => undefined, (e: Error) => e)
    expect(after?.name).to.equal('SearchIndexError')
  })
})
