import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IndexThread, checkSearchQuery } from '../../../node/search/index.ts'
import type { IndexOps, LocalResult } from '../../../node/search/index.ts'

const put = (seq: number, text: string): IndexOps => ({ put: [{ partition: 0, entity: 'room/a', seq, author: 'ann', ts: seq, text }], remove: [], redact: [], touch: [] })
const search = (thread: IndexThread, text: string): Promise<LocalResult> => thread.search({ query: checkSearchQuery({ text }), viewer: { user: 'ann' } })

/** A promise and its resolve, made again after each time it resolved (`next`). */
function signal (): { wait: () => Promise<void>, fire: () => void } {
  let fire = (): void => undefined
  let p = new Promise<void>((resolve) => { fire = resolve })
  return {
    wait: async () => { await p; p = new Promise<void>((resolve) => { fire = resolve }) },
    fire: () => { fire() }
  }
}

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

  describe('at rest', () => {
    let dir: string
    beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'plexi-index-thread-')) })
    afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

    it('should end when idle only once its owner agrees, answer its stats without starting again, and start again, the file opened as before, for the next request', async () => {
      const rested = signal()
      const refusedTwice = signal()
      let agree = false
      let refusals = 0
      const reopened: unknown[] = []
      const thread = new IndexThread({
        idleMs: 1,
        mayRest: () => {
          if (agree) return { vectorsWhole: true }
          if (++refusals === 2) refusedTwice.fire()
          return undefined
        },
        onReopen: (opened) => { reopened.push(opened) },
        onRest: () => { rested.fire() }
      })
      try {
        await thread.open({ dbPath: join(dir, 'search.sqlite') })
        await thread.apply(put(1, 'resting'))
        await thread.setComplete(true)
        await refusedTwice.wait()
        expect(thread.running, 'refused: still running').to.equal(true)
        agree = true
        await rested.wait()
        expect(thread.running).to.equal(false)
        expect(await thread.stats()).to.include({ rows: 1 })
        expect(thread.running, 'stats from the rest').to.equal(false)
        expect(thread.restarts).to.deep.equal({ rests: 1, wakes: 0 })
        expect((await search(thread, 'resting')).hits).to.have.length(1)
        expect(thread.running).to.equal(true)
        expect(reopened).to.deep.equal([{ verdict: 'ok', complete: true, vectorsLoaded: false }])
        expect(thread.restarts).to.deep.equal({ rests: 1, wakes: 1 })
      } finally {
        await thread.close()
      }
      expect((await thread.stats().then(() => undefined, (e: Error) => e))?.name).to.equal('SearchIndexError')
    })

    it('should answer, in order, what is asked while it closes to rest, from the thread started after', async () => {
      const rested = signal()
      let asked: Array<Promise<unknown>> = []
      const thread = new IndexThread({
        idleMs: 1,
        // asked just after the thread was told to close: these wait for the next thread
        mayRest: () => {
          if (asked.length === 0) queueMicrotask(() => { asked = [thread.apply(put(2, 'asked while resting')), search(thread, 'resting')] })
          return { vectorsWhole: true }
        },
        onRest: () => { rested.fire() }
      })
      try {
        await thread.open({ dbPath: join(dir, 'search.sqlite') })
        await thread.apply(put(1, 'resting'))
        await thread.setComplete(true)
        await rested.wait()
        const [, found] = await Promise.all(asked) as [unknown, LocalResult]
        expect(found.hits.map((h) => h.seq).sort(), 'the apply asked before it, answered first').to.deep.equal([1, 2])
        expect(thread.restarts.wakes).to.equal(1)
      } finally {
        await thread.close()
      }
    })

    it('should close at once when closed while it rests', async () => {
      const rested = signal()
      const thread = new IndexThread({ idleMs: 1, mayRest: () => ({ vectorsWhole: true }), onRest: () => { rested.fire() } })
      await thread.open({ dbPath: join(dir, 'search.sqlite') })
      await rested.wait()
      await thread.close()
      expect((await search(thread, 'x').then(() => undefined, (e: Error) => e))?.name).to.equal('SearchIndexError')
      expect(thread.restarts.wakes).to.equal(0)
    })
  })
})
