import { expect } from 'chai'
import { AdminWrites } from '../../../node/admin/admin-writes.ts'
import { CoalescedReads, keptReads } from '../../../node/admin/coalesced-reads.ts'
import { ADMIN_LIST_FRESH_MS } from '../../../node/admin/constants.ts'
import { pluginApp } from '../../helpers/admin-plugin.ts'

/** A gather the test ends when it says: the n-th one started answers `n`. */
function gathers (): { gather: () => Promise<number>, started: () => number, end: (i: number, err?: Error) => void } {
  const ends: Array<(err?: Error) => void> = []
  return {
    gather: async () => await new Promise<number>((resolve, reject) => {
      const n = ends.length + 1
      ends.push((err) => { if (err === undefined) resolve(n); else reject(err) })
    }),
    started: () => ends.length,
    end: (i, err) => { ends[i - 1]?.(err) }
  }
}

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

describe('CoalescedReads', () => {
  it('should answer the reads that arrive while a gather runs with one gather started after it ends, never with the one they found running', async () => {
    const reads = new CoalescedReads<number>()
    const g = gathers()
    const first = reads.read('k', g.gather)
    const during = [reads.read('k', g.gather), reads.read('k', g.gather), reads.read('k', g.gather)]
    expect(g.started()).to.equal(1)
    g.end(1)
    expect(await first).to.equal(1)
    await tick()
    expect(g.started(), 'the next gather, for the three that came during the first').to.equal(2)
    const later = reads.read('k', g.gather)
    g.end(2)
    expect(await Promise.all(during)).to.deep.equal([2, 2, 2])
    await tick()
    g.end(3)
    expect(await later).to.equal(3)
    // nothing running: the next read starts at once
    await tick()
    const alone = reads.read('k', g.gather)
    expect(g.started()).to.equal(4)
    g.end(4)
    expect(await alone).to.equal(4)
  })

  it('should keep keys apart, and fail the reads of a gather that failed without keeping it', async () => {
    const reads = new CoalescedReads<number>()
    const g = gathers()
    const a = reads.read('a', g.gather)
    const b = reads.read('b', g.gather)
    expect(g.started()).to.equal(2)
    const aAgain = reads.read('a', g.gather)
    g.end(1, new Error('a member did not answer'))
    g.end(2)
    expect(await a.then(() => 'ok', (err: Error) => err.message)).to.equal('a member did not answer')
    expect(await b).to.equal(2)
    await tick()
    g.end(3)
    expect(await aAgain).to.equal(3)
    await tick()
    const fresh = reads.read('a', g.gather)
    g.end(4)
    expect(await fresh).to.equal(4)
    // a gather that throws at once fails its read alone
    expect(await reads.read('c', () => { throw new Error('at once') }).then(() => 'ok', (err: Error) => err.message)).to.equal('at once')
  })
  it('should answer reads with a gather that ended under freshMs ago, until forget(), and keep no answer of a gather that ran across a forget()', async () => {
    let now = 0
    const reads = new CoalescedReads<number>({ freshMs: 250, now: () => now })
    const g = gathers()
    const first = reads.read('k', g.gather)
    g.end(1)
    expect(await first).to.equal(1)
    await tick()
    now = 249
    expect(await reads.read('k', g.gather), 'under freshMs after it ended').to.equal(1)
    expect(g.started()).to.equal(1)
    now = 250
    const second = reads.read('k', g.gather)
    expect(g.started(), 'freshMs after it ended: gathered again').to.equal(2)
    g.end(2)
    expect(await second).to.equal(2)
    await tick()
    reads.forget()
    const third = reads.read('k', g.gather)
    expect(g.started(), 'after forget(): gathered again').to.equal(3)
    // a change answered while the gather runs: its answer is not kept
    reads.forget()
    g.end(3)
    expect(await third).to.equal(3)
    await tick()
    const fourth = reads.read('k', g.gather)
    expect(g.started()).to.equal(4)
    g.end(4)
    expect(await fourth).to.equal(4)
    expect(() => new CoalescedReads({ freshMs: 1_001 })).to.throw(RangeError, /0 to 1000 ms/)
  })
  it('should keep at most 256 answers however many keys clients name, dropping those past their time first', async () => {
    let now = 0
    const reads = new CoalescedReads<string>({ freshMs: 250, now: () => now })
    for (let i = 0; i < 200; i++) await reads.read(`old${i}`, async () => `old${i}`)
    await tick()
    expect(reads.kept).to.equal(200)
    now = 300
    for (let i = 0; i < 100; i++) await reads.read(`new${i}`, async () => `new${i}`)
    await tick()
    // the 200 past their time went when the 257th came; the new ones are all kept
    expect(reads.kept).to.equal(100)
    let gathered = 0
    expect(await reads.read('new7', async () => { gathered++; return 'again' })).to.equal('new7')
    expect(gathered).to.equal(0)
    // every one fresh and 256 of them: the next drops them all rather than grow
    for (let i = 100; i < 400; i++) await reads.read(`new${i}`, async () => `new${i}`)
    await tick()
    expect(reads.kept).to.be.at.most(256).and.above(0)
  })
})

describe('keptReads', () => {
  /** A route that answers the n-th gather's number through keptReads, and a write beside it. */
  const serve = async (writes: AdminWrites | undefined, now: () => number) => {
    let gathered = 0
    const app = await pluginApp(async (api) => {
      if (writes !== undefined) api.addHook('onSend', writes.hook())
      const reads = keptReads<number>(api, writes, { now })
      api.get('/thing', async () => ({ n: await reads.read('', async () => ++gathered) }))
      api.post('/thing', async () => ({ ok: true }))
    })
    const read = async (): Promise<number> => ((await app.inject({ method: 'GET', url: '/api/v1/thing' })).json() as { n: number }).n
    return { app, read, write: async () => { await app.inject({ method: 'POST', url: '/api/v1/thing', payload: {} }) } }
  }

  it('should answer reads within ADMIN_LIST_FRESH_MS of a gather with it, and gather again after a write through this admin API or that long', async () => {
    let now = 0
    const writes = new AdminWrites()
    const { app, read, write } = await serve(writes, () => now)
    try {
      expect(await read()).to.equal(1)
      now += ADMIN_LIST_FRESH_MS - 1
      expect(await read(), 'kept').to.equal(1)
      await write()
      expect(await read(), 'a write answered here drops it').to.equal(2)
      now += ADMIN_LIST_FRESH_MS
      expect(await read(), 'too old').to.equal(3)
    } finally {
      await app.close()
    }
  })

  it('should keep nothing without the admin writes to drop it: every read gathers', async () => {
    const { app, read } = await serve(undefined, () => 0)
    try {
      expect([await read(), await read(), await read()]).to.deep.equal([1, 2, 3])
    } finally {
      await app.close()
    }
  })
})
