import { expect } from 'chai'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { FtsIndex, checkSearchQuery } from '../../../node/search/index.ts'
import { FTS_AUTOMERGE } from '../../../node/search/constants.ts'
import type { IndexOps, IndexRow, LocalHit } from '../../../node/search/index.ts'

const row = (entity: string, seq: number, text: string, author = 'ann', ts = 1_000 + seq, partition = 1): IndexRow => ({ partition, entity, seq, author, ts, text })
const q = (text: string, more: object = {}): ReturnType<typeof checkSearchQuery> => checkSearchQuery({ text, ...more })
const ops = (put: IndexRow[], remove: Array<[string, number]> = [], redact: Array<[string, number]> = []): IndexOps => ({ put, remove, redact, touch: [] })

describe('FtsIndex', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'plexi-fts-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('should rank by BM25 and apply every filter, its hits without text (snippets come from the store)', () => {
    const index = new FtsIndex(':memory:')
    index.apply(ops([
      row('room/ops', 1, 'we decided to use postgres for the ledger', 'ann', 100),
      row('room/ops', 2, 'postgres postgres postgres: postgres everywhere', 'bob', 200),
      row('room/dev', 1, 'lunch at noon', 'ann', 300),
      row('agent/ann', 1, 'what did we decide about postgres, and about the ledger we keep for the accounts team?', 'ann', 400),
      row('agent/bob', 1, 'postgres secrets of bob', 'bob', 500)
    ]))
    const hits = index.search(q('postgres'), { user: 'ann' }, 10)
    expect(hits.map((h) => `${h.entity}#${h.seq}`)).to.deep.equal(['room/ops#2', 'room/ops#1', 'agent/ann#1'])
    expect(hits[0]?.score).to.be.greaterThan(hits[1]?.score as number)
    const first = hits[1] as LocalHit
    expect(first).to.deep.include({ snippet: '', marks: [] })
    expect(index.search(q('postgres'), { user: null }, 10), 'an admin sees every agent').to.have.length(4)
    expect(index.search(q('postgres', { scope: 'agent' }), { user: 'bob' }, 10).map((h) => h.entity)).to.deep.equal(['agent/bob'])
    expect(index.search(q('postgres', { author: 'bob' }), { user: 'ann' }, 10).map((h) => h.seq)).to.deep.equal([2])
    expect(index.search(q('postgres', { since: 150, until: 450 }), { user: 'ann' }, 10).map((h) => h.entity)).to.deep.equal(['room/ops', 'agent/ann'])
    expect(index.search(q('postgres', { rooms: ['dev'] }), { user: 'ann' }, 10)).to.deep.equal([])
    // a room's name is one tag whatever it holds: 'ops' is not 'ops-2', and the longest name works
    const long = `r${'x-'.repeat(31)}9`
    index.apply(ops([row('room/ops-2', 1, 'postgres too'), row(`room/${long}`, 1, 'postgres far away')]))
    expect(index.search(q('postgres', { rooms: ['ops'] }), { user: 'ann' }, 10).map((h) => h.entity)).to.deep.equal(['room/ops', 'room/ops'])
    expect(index.search(q('postgres', { rooms: [long] }), { user: 'ann' }, 10).map((h) => h.seq)).to.deep.equal([1])
    index.apply(ops([], [['room/ops-2', 1], [`room/${long}`, 1]]))
    expect(index.search(q('postgres'), { user: 'ann' }, 10, [2]), 'another partition only').to.deep.equal([])
    expect(index.search(q('post*'), { user: 'ann' }, 1)).to.have.length(1)
    index.close()
  })

  it('should drop removed and redacted seqs, and never take a redacted seq back', () => {
    const index = new FtsIndex(':memory:')
    index.apply(ops([row('room/a', 1, 'alpha secret'), row('room/a', 2, 'alpha public')]))
    const out = index.apply(ops([], [['room/a', 2]], [['room/a', 1]]))
    expect(out.removed).to.have.length(2)
    index.apply(ops([row('room/a', 1, 'alpha secret from a stale replica')]))
    expect(index.search(q('alpha'), { user: null }, 10)).to.deep.equal([])
    index.apply(ops([row('room/a', 2, 'alpha back')]))
    expect(index.search(q('alpha'), { user: null }, 10).map((h) => h.seq)).to.deep.equal([2])
    index.close()
  })

  it('should keep no post\'s text in its file or write-ahead log, only its words\' postings, and drop those of a removed post', () => {
    const path = join(dir, 'search.sqlite')
    const index = new FtsIndex(path)
    // (posts put out of id order, many batches: a b-tree rebalance moves cells and leaves their old
    // bytes in a page's unused gap, which secure_delete does not clear: a text kept in a table
    // would outlive its deletion in the file, as it did before the index stopped keeping texts)
    let seq = 0
    const batch = (secret: boolean): IndexRow[] => Array.from({ length: 300 }, (_, i) => row('room/a', ++seq, secret ? `zqxjkv hunter2 said ${seq} and more` : `harmless line ${seq}`, 'ann', 1_000 + ((seq * 7919) % 100_000) + i))
    for (let b = 0; b < 6; b++) index.apply(ops(batch(b === 2)))
    const held = (needle: string): number => ['', '-wal'].reduce((n, suffix) => {
      const file = path + suffix
      return n + (existsSync(file) ? readFileSync(file).toString('latin1').split(needle).length - 1 : 0)
    }, 0)
    expect(held('hunter2 said'), 'a text as written').to.equal(0)
    expect(held('harmless line'), 'a text as written').to.equal(0)
    expect(index.search(q('hunter2'), { user: null }, 500)).to.have.length(300)
    const secrets = Array.from({ length: 300 }, (_, i) => ['room/a', 601 + i] as [string, number])
    index.apply(ops([], secrets.slice(0, 150), secrets.slice(150)))
    expect(index.search(q('hunter2'), { user: null }, 10)).to.deep.equal([])
    expect(index.search(q('harmless'), { user: null }, 2_000)).to.have.length(1_500)
    expect(held('hunter2 said')).to.equal(0)
    index.close()
  })

  it('should keep who each room\'s records named through redactions, removals and a reopen', () => {
    const path = join(dir, 'touched.sqlite')
    const index = new FtsIndex(path)
    index.apply({ ...ops([row('room/a', 1, 'hi', 'ann'), row('room/b', 1, 'yo', 'bob')]), touch: [['room/a', 'ann', 1], ['room/b', 'bob', 1], ['room/c', 'ann', 2], ['room/a', 'ann', 1]] })
    index.apply(ops([], [['room/a', 1]], [['room/c', 1]]))
    expect(index.touchedBy(['ann'])).to.deep.equal(['room/a', 'room/c'])
    expect(index.touchedBy(['ann', 'bob'])).to.deep.equal(['room/a', 'room/b', 'room/c'])
    expect(index.touchedBy(['eve'])).to.deep.equal([])
    expect(index.touchedBy([])).to.deep.equal([])
    index.setComplete(true)
    index.close()
    const again = new FtsIndex(path)
    expect(again.verdict).to.equal('ok')
    expect(again.touchedBy(['bob'])).to.deep.equal(['room/b'])
    again.close()
  })

  it('should have FTS5 merge its segments two at a time, in a file it made and in one it reopened', () => {
    const path = join(dir, 'search.sqlite')
    const automerge = (): number => {
      const db = new DatabaseSync(path)
      try {
        return Number((db.prepare("SELECT v FROM posts_fts_config WHERE k = 'automerge'").get() as { v: number }).v)
      } finally {
        db.close()
      }
    }
    const index = new FtsIndex(path)
    index.apply(ops([row('room/a', 1, 'alpha')]))
    index.setComplete(true)
    index.close()
    expect(automerge()).to.equal(FTS_AUTOMERGE).and.to.equal(2)
    const again = new FtsIndex(path)
    expect(again.verdict).to.equal('ok')
    again.close()
    expect(automerge()).to.equal(2)
  })

  it('should rank the most recent matches of a window, keep ids in time order, and filter time as id ranges', () => {
    const index = new FtsIndex(':memory:')
    // posted in another order than their times, two in the same millisecond
    index.apply(ops([row('room/a', 3, 'tide tide tide', 'ann', 3_000), row('room/a', 1, 'tide', 'ann', 1_000), row('room/a', 2, 'tide low', 'ann', 2_000), row('room/b', 9, 'tide high', 'bob', 2_000)]))
    const all = index.search(q('tide'), { user: null }, 10)
    expect(all.map((h) => `${h.entity}#${h.seq}`)[0], 'the most tides first').to.equal('room/a#3')
    expect(new Set(all.map((h) => h.id)).size).to.equal(4)
    const byId = [...all].sort((x, y) => x.id - y.id).map((h) => h.ts)
    expect(byId).to.deep.equal([1_000, 2_000, 2_000, 3_000])
    const windowed = index.search(q('tide'), { user: null }, 10, undefined, 2)
    expect(windowed.map((h) => h.ts).sort(), 'the two most recent matches only').to.deep.equal([2_000, 3_000])
    expect(index.search(q('tide', { since: 2_000, until: 3_000 }), { user: null }, 10).map((h) => h.seq).sort()).to.deep.equal([2, 9])
    index.close()
  })

  it('should not take user text as FTS5 syntax', () => {
    const index = new FtsIndex(':memory:')
    index.apply(ops([row('room/a', 1, 'text: NEAR OR "quoted"')]))
    expect(index.search(q('text: NEAR( OR "quoted'), { user: null }, 10)).to.have.length(1)
    index.close()
  })

  it('should trust a file closed cleanly and complete, and rebuild one that was not', () => {
    const path = join(dir, 's.sqlite')
    const a = new FtsIndex(path)
    expect(a.verdict).to.equal('missing')
    a.apply(ops([row('room/a', 1, 'kept')]))
    a.close()
    const b = new FtsIndex(path)
    expect(b.verdict, 'closed cleanly, never completed').to.equal('incomplete')
    expect(b.stats().rows, 'emptied').to.equal(0)
    b.apply(ops([row('room/a', 1, 'kept')]))
    b.setComplete(true)
    b.close()
    const c = new FtsIndex(path)
    expect(c.verdict).to.equal('ok')
    expect(c.stats().rows).to.equal(1)
    // not closed: as after a crash
    const d = new FtsIndex(path)
    expect(d.verdict).to.equal('unclean')
    expect(d.stats().rows, 'emptied').to.equal(0)
    d.close()
    c.close()
    writeFileSync(path, 'not a database at all, long enough to be read as one')
    const e = new FtsIndex(path)
    expect(e.verdict).to.equal('format')
    e.close()
  })
})
