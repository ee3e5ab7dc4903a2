import { DatabaseSync } from 'node:sqlite'
import type { StatementSync } from 'node:sqlite'
import { existsSync, rmSync } from 'node:fs'
import { MAX_SNIPPET_CHARS, SEARCH_FORMAT, SNIPPET_TOKENS } from './constants.ts'
import type { IndexOps } from './index-ops.ts'
import { matchExpression } from './search-query.ts'
import type { SearchQuery, SearchViewer } from './search-query.ts'

/** One hit of the local index: BM25's score is negated so that higher is better everywhere. */
export interface LocalHit {
  readonly id: number
  readonly entity: string
  readonly seq: number
  readonly author: string
  readonly ts: number
  readonly snippet: string
  /** [start, length] of each marked match in `snippet`, in characters. */
  readonly marks: ReadonlyArray<readonly [number, number]>
  readonly score: number
}

/** Why an index file was not taken as it was (it is rebuilt). */
export type OpenVerdict = 'ok' | 'missing' | 'format' | 'unclean' | 'incomplete'

const OPEN = '\u0002'
const CLOSE = '\u0003'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, part INTEGER NOT NULL, entity TEXT NOT NULL, seq INTEGER NOT NULL, author TEXT NOT NULL, ts INTEGER NOT NULL, text TEXT NOT NULL, UNIQUE (entity, seq));
CREATE TABLE IF NOT EXISTS redacted (entity TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (entity, seq)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(text, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS posts_ai AFTER INSERT ON posts BEGIN INSERT INTO posts_fts (rowid, text) VALUES (new.id, new.text); END;
CREATE TRIGGER IF NOT EXISTS posts_ad AFTER DELETE ON posts BEGIN INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
CREATE TRIGGER IF NOT EXISTS posts_au AFTER UPDATE OF text ON posts BEGIN INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.id, old.text); INSERT INTO posts_fts (rowid, text) VALUES (new.id, new.text); END;
`

/**
 * The full-text index: one SQLite file (node:sqlite, FTS5 with an external-content table, ranked by
 * bm25()). Synchronous: it runs on the index thread (index-thread.ts), never on the event loop.
 * Derived state: it says at open whether it can be trusted (`verdict`), and a file that is missing,
 * of another format, not closed cleanly or never completed is emptied and rebuilt from the store.
 * Durability is not its job (synchronous=OFF): a crash leaves it unclean, and unclean is rebuilt.
 */
export class FtsIndex {
  readonly #db: DatabaseSync
  readonly verdict: OpenVerdict
  readonly #put: StatementSync
  readonly #idOf: StatementSync
  readonly #remove: StatementSync
  readonly #mark: StatementSync
  readonly #isRedacted: StatementSync
  readonly #setMeta: StatementSync
  #closed = false

  /** Opens the index at `path` (`drop`: empties it whatever it holds, verdict 'incomplete'). */
  constructor (path: string, drop = false) {
    const existed = path !== ':memory:' && existsSync(path)
    let verdict: OpenVerdict = existed ? 'ok' : 'missing'
    let db = new DatabaseSync(path)
    if (existed) {
      verdict = drop ? 'incomplete' : FtsIndex.#judge(db)
      if (verdict !== 'ok') {
        db.close()
        for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
        db = new DatabaseSync(path)
      }
    }
    this.#db = db
    this.verdict = verdict
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -16000;')
    db.exec(SCHEMA)
    this.#put = db.prepare('INSERT INTO posts (part, entity, seq, author, ts, text) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (entity, seq) DO UPDATE SET part = excluded.part, author = excluded.author, ts = excluded.ts, text = excluded.text WHERE text != excluded.text OR author != excluded.author OR ts != excluded.ts')
    this.#idOf = db.prepare('SELECT id FROM posts WHERE entity = ? AND seq = ?')
    this.#remove = db.prepare('DELETE FROM posts WHERE entity = ? AND seq = ? RETURNING id')
    this.#mark = db.prepare('INSERT OR IGNORE INTO redacted (entity, seq) VALUES (?, ?)')
    this.#isRedacted = db.prepare('SELECT 1 AS r FROM redacted WHERE entity = ? AND seq = ?')
    this.#setMeta = db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v')
    // open until closed cleanly: a crash before close() leaves it 'unclean' for the next open
    this.#setMeta.run('format', String(SEARCH_FORMAT))
    this.#setMeta.run('clean', '0')
    if (verdict !== 'ok') this.#setMeta.run('complete', '0')
  }

  static #judge (db: DatabaseSync): OpenVerdict {
    try {
      const rows = db.prepare('SELECT k, v FROM meta').all() as Array<{ k: string, v: string }>
      const meta = new Map(rows.map((r) => [r.k, r.v]))
      if (meta.get('format') !== String(SEARCH_FORMAT)) return 'format'
      if (meta.get('clean') !== '1') return 'unclean'
      if (meta.get('complete') !== '1') return 'incomplete'
      return 'ok'
    } catch {
      // no meta table, or not a database at all: of no format this code reads
      return 'format'
    }
  }

  /** Marks the index as a full copy of the store (the rebuild finished), or not. */
  setComplete (complete: boolean): void {
    this.#setMeta.run('complete', complete ? '1' : '0')
  }

  get complete (): boolean {
    const row = this.#db.prepare("SELECT v FROM meta WHERE k = 'complete'").get() as { v: string } | undefined
    return row?.v === '1'
  }

  /** Applies the ops in one transaction, removals and redactions first (a put of a redacted seq is
   * skipped). Returns the ids of rows put and removed (the vector index follows them). */
  apply (ops: IndexOps): { put: Array<{ id: number, text: string }>, removed: number[] } {
    const put: Array<{ id: number, text: string }> = []
    const removed: number[] = []
    this.#db.exec('BEGIN')
    try {
      for (const [entity, seq] of ops.redact) {
        this.#mark.run(entity, seq)
        const r = this.#remove.get(entity, seq) as { id: number } | undefined
        if (r !== undefined) removed.push(r.id)
      }
      for (const [entity, seq] of ops.remove) {
        const r = this.#remove.get(entity, seq) as { id: number } | undefined
        if (r !== undefined) removed.push(r.id)
      }
      for (const row of ops.put) {
        if (this.#isRedacted.get(row.entity, row.seq) !== undefined) continue
        const changed = this.#put.run(row.partition, row.entity, row.seq, row.author, row.ts, row.text)
        if (changed.changes === 0) continue
        const r = this.#idOf.get(row.entity, row.seq) as { id: number }
        put.push({ id: r.id, text: row.text })
      }
      this.#db.exec('COMMIT')
    } catch (err) {
      this.#db.exec('ROLLBACK')
      throw err
    }
    return { put, removed }
  }

  /** The best hits for the query that the viewer may see, best first; of these partitions only
   * (undefined: of all). */
  search (query: SearchQuery, viewer: SearchViewer, limit: number, partitions?: readonly number[]): LocalHit[] {
    const match = matchExpression(query.text)
    if (match === undefined) return []
    const where: string[] = ['posts_fts MATCH ?']
    const args: Array<string | number> = [match]
    addFilters(where, args, query, viewer, partitions)
    const sql = `SELECT p.id, p.entity, p.seq, p.author, p.ts, snippet(posts_fts, 0, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS snip, bm25(posts_fts) AS score
      FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid WHERE ${where.join(' AND ')} ORDER BY score LIMIT ?`
    args.push(limit)
    const rows = this.#db.prepare(sql).all(...args) as Array<{ id: number, entity: string, seq: number, author: string, ts: number, snip: string, score: number }>
    return rows.map((r) => ({ id: r.id, entity: r.entity, seq: r.seq, author: r.author, ts: r.ts, ...marked(r.snip), score: -r.score }))
  }

  /** The rows of these ids that the viewer may see and the filters keep (the vector side's hits),
   * each with its text's start as the snippet; in no order. */
  rowsOf (ids: readonly number[], query: SearchQuery, viewer: SearchViewer, partitions?: readonly number[]): Array<Omit<LocalHit, 'score'>> {
    if (ids.length === 0) return []
    const where: string[] = [`p.id IN (${ids.map(() => '?').join(',')})`]
    const args: Array<string | number> = [...ids]
    addFilters(where, args, query, viewer, partitions)
    const rows = this.#db.prepare(`SELECT p.id, p.entity, p.seq, p.author, p.ts, substr(p.text, 1, ${MAX_SNIPPET_CHARS}) AS snip FROM posts p WHERE ${where.join(' AND ')}`).all(...args) as Array<{ id: number, entity: string, seq: number, author: string, ts: number, snip: string }>
    return rows.map((r) => ({ id: r.id, entity: r.entity, seq: r.seq, author: r.author, ts: r.ts, snippet: r.snip, marks: [] }))
  }

  /** Rows held, and the database's size on disk (bytes). */
  stats (): { rows: number, bytes: number } {
    const rows = (this.#db.prepare('SELECT count(*) AS n FROM posts').get() as { n: number }).n
    const page = this.#db.prepare('SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()').get() as { b: number }
    return { rows, bytes: page.b }
  }

  /** Every (id, text) from `afterId` on, at most `limit` (the vector index's rebuild reads them). */
  texts (afterId: number, limit: number): Array<{ id: number, text: string }> {
    return this.#db.prepare('SELECT id, text FROM posts WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Array<{ id: number, text: string }>
  }

  /** Closes cleanly: the next open trusts the file (if it was complete). */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#setMeta.run('clean', '1')
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    this.#db.close()
  }
}

/** The filters every query applies: what the viewer may see, then the query's own. */
function addFilters (where: string[], args: Array<string | number>, query: SearchQuery, viewer: SearchViewer, partitions: readonly number[] | undefined): void {
  if (partitions !== undefined) {
    where.push(`p.part IN (${partitions.map(() => '?').join(',')})`)
    args.push(...partitions)
  }
  const rooms = "(p.entity >= 'room/' AND p.entity < 'room0')"
  const agents = "(p.entity >= 'agent/' AND p.entity < 'agent0')"
  if (viewer.user === null) {
    where.push(query.scope === 'rooms' ? rooms : query.scope === 'agent' ? agents : `(${rooms} OR ${agents})`)
  } else {
    if (query.scope === 'rooms') where.push(rooms)
    else if (query.scope === 'agent') where.push('p.entity = ?')
    else where.push(`(${rooms} OR p.entity = ?)`)
    if (query.scope !== 'rooms') args.push(`agent/${viewer.user}`)
  }
  if (query.rooms !== undefined) {
    where.push(`p.entity IN (${query.rooms.map(() => '?').join(',')})`)
    for (const r of query.rooms) args.push(`room/${r}`)
  }
  if (query.author !== undefined) { where.push('p.author = ?'); args.push(query.author) }
  if (query.since !== undefined) { where.push('p.ts >= ?'); args.push(query.since) }
  if (query.until !== undefined) { where.push('p.ts < ?'); args.push(query.until) }
}

/** A snippet with FTS5's marks turned into plain text and [start, length] ranges. */
function marked (snip: string): { snippet: string, marks: Array<[number, number]> } {
  let out = ''
  const marks: Array<[number, number]> = []
  let open = -1
  for (const ch of snip) {
    if (ch === OPEN) { open = out.length; continue }
    if (ch === CLOSE) { if (open >= 0) marks.push([open, out.length - open]); open = -1; continue }
    out += ch
  }
  if (out.length > MAX_SNIPPET_CHARS) return { snippet: out.slice(0, MAX_SNIPPET_CHARS), marks: marks.filter(([s, l]) => s + l <= MAX_SNIPPET_CHARS) }
  return { snippet: out, marks }
}
