import { DatabaseSync } from 'node:sqlite'
import type { StatementSync } from 'node:sqlite'
import { existsSync, rmSync } from 'node:fs'
import { FTS_AUTOMERGE, ID_SLOTS, RANK_WINDOW, SEARCH_FORMAT } from './constants.ts'
import type { IndexOps, IndexRow } from './index-ops.ts'
import { matchExpression } from './search-query.ts'
import type { SearchQuery, SearchViewer } from './search-query.ts'

/** One hit of the local index: BM25's score is negated so that higher is better everywhere. The
 * index keeps no text: its snippet is made from the post as the store holds it (SearchIndex). */
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

/** A row's tags, as the FTS index holds them beside its words: one token for its entity and one
 * for its author (hex: a room name's '-' or '.' would split a plain one), so that a room or author
 * filter is a term FTS5 intersects with the words, not a scan of every match. */
const tagsOf = (entity: string, author: string): string => `e${Buffer.from(entity, 'utf8').toString('hex')} a${Buffer.from(author, 'utf8').toString('hex')}`

/**
 * No text is stored: `posts` holds where each post is and a digest of its text (to tell a changed
 * post), and the FTS5 table is contentless (its words' postings only; `contentless_delete` lets a
 * row be deleted by id). SQLite's `secure_delete` zeroes a deleted row's bytes, but a page's cells
 * that a b-tree rebalance moved leave their old bytes in the page's unused gap (rebuildPage does
 * not clear it): a text kept here would outlive its deletion in the file. Snippets are made from
 * the post as the replica store holds it (docs/search.md).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, part INTEGER NOT NULL, entity TEXT NOT NULL, seq INTEGER NOT NULL, author TEXT NOT NULL, ts INTEGER NOT NULL, digest INTEGER NOT NULL, UNIQUE (entity, seq));
CREATE TABLE IF NOT EXISTS redacted (entity TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (entity, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS touched (user TEXT NOT NULL, entity TEXT NOT NULL, part INTEGER NOT NULL, PRIMARY KEY (user, entity)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(text, tags, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
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
  readonly #insert: StatementSync
  readonly #insertFts: StatementSync
  readonly #deleteFts: StatementSync
  readonly #update: StatementSync
  readonly #idOf: StatementSync
  readonly #idTaken: StatementSync
  readonly #remove: StatementSync
  readonly #mark: StatementSync
  readonly #isRedacted: StatementSync
  readonly #setMeta: StatementSync
  readonly #touch: StatementSync
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
    // secure_delete: a deleted row's bytes are zeroed, not left in a free page, and FTS5's own
    // secure-delete takes a deleted row's tokens out of the index's segments (without it they stay
    // there, marked deleted, until segments merge): a redacted or erased text leaves the file
    // (docs/search.md, "Redaction and erasure")
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -16000; PRAGMA secure_delete = ON;')
    db.exec(SCHEMA)
    db.exec("INSERT INTO posts_fts (posts_fts, rank) VALUES ('secure-delete', 1)")
    // FTS5 writes a segment per transaction and merges a level once FTS_AUTOMERGE of them are
    // there: a secure delete seeks each token of the row in every segment that holds it, so fewer
    // segments make an erasure's deletes cost half (docs/performance.md)
    db.exec(`INSERT INTO posts_fts (posts_fts, rank) VALUES ('automerge', ${FTS_AUTOMERGE})`)
    this.#insert = db.prepare('INSERT INTO posts (id, part, entity, seq, author, ts, digest) VALUES (?, ?, ?, ?, ?, ?, ?)')
    this.#insertFts = db.prepare('INSERT INTO posts_fts (rowid, text, tags) VALUES (?, ?, ?)')
    this.#deleteFts = db.prepare('DELETE FROM posts_fts WHERE rowid = ?')
    this.#update = db.prepare('UPDATE posts SET part = ?, author = ?, ts = ?, digest = ? WHERE id = ? AND (digest != ? OR author != ? OR ts != ?)')
    this.#idOf = db.prepare('SELECT id FROM posts WHERE entity = ? AND seq = ?')
    this.#idTaken = db.prepare('SELECT 1 AS t FROM posts WHERE id = ?')
    this.#remove = db.prepare('DELETE FROM posts WHERE entity = ? AND seq = ? RETURNING id')
    this.#mark = db.prepare('INSERT OR IGNORE INTO redacted (entity, seq) VALUES (?, ?)')
    this.#isRedacted = db.prepare('SELECT 1 AS r FROM redacted WHERE entity = ? AND seq = ?')
    this.#touch = db.prepare('INSERT OR IGNORE INTO touched (user, entity, part) VALUES (?, ?, ?)')
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
        if (r !== undefined) { this.#deleteFts.run(r.id); removed.push(r.id) }
      }
      for (const [entity, seq] of ops.remove) {
        const r = this.#remove.get(entity, seq) as { id: number } | undefined
        if (r !== undefined) { this.#deleteFts.run(r.id); removed.push(r.id) }
      }
      for (const row of ops.put) {
        if (this.#isRedacted.get(row.entity, row.seq) !== undefined) continue
        const id = this.#put(row)
        if (id !== undefined) put.push({ id, text: row.text })
      }
      for (const [entity, user, part] of ops.touch) this.#touch.run(user, entity, part)
      this.#db.exec('COMMIT')
    } catch (err) {
      this.#db.exec('ROLLBACK')
      throw err
    }
    // until a checkpoint, the file still holds the pages as they were before and the write-ahead
    // log the new ones: a batch that took rows out (a redaction, or a rewrite or trim that removed
    // them, which a replica may take before the redaction journaled ahead of it) empties the log
    // into the file (zeroed there) and truncates it, so that the words' postings of a removed post
    // are in neither
    if (ops.redact.length > 0 || removed.length > 0) this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    return { put, removed }
  }

  /** Puts a row: a new post gets an id by its time (idOf), a known one is updated in place when it
   * changed. The id put, or undefined when nothing changed. */
  #put (row: IndexRow): number | undefined {
    const known = this.#idOf.get(row.entity, row.seq) as { id: number } | undefined
    const digest = textDigest(row.text)
    if (known !== undefined) {
      const changed = this.#update.run(row.partition, row.author, row.ts, digest, known.id, digest, row.author, row.ts)
      if (changed.changes === 0) return undefined
      this.#deleteFts.run(known.id)
      this.#insertFts.run(known.id, row.text, tagsOf(row.entity, row.author))
      return known.id
    }
    let id = idOf(row)
    // another post of the same millisecond in the slot: the next free one
    while (this.#idTaken.get(id) !== undefined) id++
    this.#insert.run(id, row.partition, row.entity, row.seq, row.author, row.ts, digest)
    this.#insertFts.run(id, row.text, tagsOf(row.entity, row.author))
    return id
  }

  /** The best hits for the query that the viewer may see, best first; of these partitions only
   * (undefined: of all). BM25 ranks the most recent RANK_WINDOW matches (those past the filters).
   * Their snippets are empty: SearchIndex makes them from the store. */
  search (query: SearchQuery, viewer: SearchViewer, limit: number, partitions?: readonly number[], window = RANK_WINDOW): LocalHit[] {
    const match = ftsQuery(query)
    if (match === undefined) return []
    const where: string[] = ['posts_fts MATCH ?']
    const args: Array<string | number> = [match]
    addFilters(where, args, query, viewer, partitions, true)
    const from = `FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid WHERE ${where.join(' AND ')}`
    // the window's oldest row: FTS5 reads a term's postings newest first and stops there
    const edge = this.#db.prepare(`SELECT posts_fts.rowid AS id ${from} ORDER BY posts_fts.rowid DESC LIMIT 1 OFFSET ?`).get(...args, window - 1) as { id: number } | undefined
    // bm25 with the tags' weight 0 (they are filters, not words), sorted by SQLite: FTS5's own
    // `ORDER BY rank` ignored the window here and took 1.9 s where this takes 100 ms
    const sql = `SELECT p.id, p.entity, p.seq, p.author, p.ts, bm25(posts_fts, 1.0, 0.0) AS score
      ${from}${edge === undefined ? '' : ' AND posts_fts.rowid >= ?'} ORDER BY score LIMIT ?`
    const rows = this.#db.prepare(sql).all(...args, ...(edge === undefined ? [] : [edge.id]), limit) as Array<{ id: number, entity: string, seq: number, author: string, ts: number, score: number }>
    return rows.map((r) => ({ id: r.id, entity: r.entity, seq: r.seq, author: r.author, ts: r.ts, snippet: '', marks: [], score: -r.score }))
  }

  /** The rows of these ids that the viewer may see and the filters keep (the vector side's hits),
   * with empty snippets; in no order. */
  rowsOf (ids: readonly number[], query: SearchQuery, viewer: SearchViewer, partitions?: readonly number[]): Array<Omit<LocalHit, 'score'>> {
    if (ids.length === 0) return []
    const where: string[] = [`p.id IN (${ids.map(() => '?').join(',')})`]
    const args: Array<string | number> = [...ids]
    addFilters(where, args, query, viewer, partitions)
    const rows = this.#db.prepare(`SELECT p.id, p.entity, p.seq, p.author, p.ts FROM posts p WHERE ${where.join(' AND ')}`).all(...args) as Array<{ id: number, entity: string, seq: number, author: string, ts: number }>
    return rows.map((r) => ({ id: r.id, entity: r.entity, seq: r.seq, author: r.author, ts: r.ts, snippet: '', marks: [] }))
  }

  /** The entities whose records named any of `users` (ops' `touch`: a post, an imported post's
   * original author, a join), kept for good: a redaction, a trim or a retention run never takes a
   * user off (more rooms asked, never fewer). Sorted. */
  touchedBy (users: readonly string[]): string[] {
    if (users.length === 0) return []
    const rows = this.#db.prepare(`SELECT DISTINCT entity FROM touched WHERE user IN (${users.map(() => '?').join(',')}) ORDER BY entity`).all(...users) as Array<{ entity: string }>
    return rows.map((r) => r.entity)
  }

  /** Rows held, and the database's size on disk (bytes). */
  stats (): { rows: number, bytes: number } {
    const rows = (this.#db.prepare('SELECT count(*) AS n FROM posts').get() as { n: number }).n
    const page = this.#db.prepare('SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()').get() as { b: number }
    return { rows, bytes: page.b }
  }

  /** Every row's (id, entity, seq) from `afterId` on, at most `limit` (the vector index's rebuild
   * reads their texts from the store). */
  rowsAfter (afterId: number, limit: number): Array<{ id: number, entity: string, seq: number }> {
    return this.#db.prepare('SELECT id, entity, seq FROM posts WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Array<{ id: number, entity: string, seq: number }>
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
function addFilters (where: string[], args: Array<string | number>, query: SearchQuery, viewer: SearchViewer, partitions: readonly number[] | undefined, fts = false): void {
  const ids = fts ? 'posts_fts.rowid' : 'p.id'
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
  // with MATCH, rooms and author are in the FTS query (ftsQuery)
  if (query.rooms !== undefined && !fts) {
    where.push(`p.entity IN (${query.rooms.map(() => '?').join(',')})`)
    for (const r of query.rooms) args.push(`room/${r}`)
  }
  if (query.author !== undefined && !fts) { where.push('p.author = ?'); args.push(query.author) }
  // times as id ranges (ids sort by time): on posts_fts.rowid, FTS5 applies them as it reads
  if (query.since !== undefined) { where.push(`${ids} >= ?`); args.push(timeId(query.since)) }
  if (query.until !== undefined) { where.push(`${ids} < ?`); args.push(timeId(query.until)) }
}

/** The first id of a millisecond (ids sort by time: ID_SLOTS a millisecond). */
function timeId (ts: number): number {
  return Math.min(Math.max(0, Math.floor(ts)), MAX_TS) * ID_SLOTS
}
/** The latest time an id keeps exact (2^53 / ID_SLOTS ms: the year 2248). */
const MAX_TS = Math.floor(Number.MAX_SAFE_INTEGER / ID_SLOTS) - 1

/** A new row's first-choice id: its time's, in a slot from its entity and seq (FNV-1a), so that the
 * posts of one millisecond rarely meet. */
function idOf (row: IndexRow): number {
  let h = 0x811c9dc5
  const key = `${row.entity}\0${row.seq}`
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return timeId(row.ts) + ((h >>> 0) % ID_SLOTS)
}

/** The FTS5 query of a search: its words in the text (matchExpression: quoted, never syntax), and
 * its rooms and author as tag terms (TAGS). */
function ftsQuery (query: SearchQuery): string | undefined {
  const words = matchExpression(query.text)
  if (words === undefined) return undefined
  const tag = (prefix: string, value: string): string => `"${prefix}${Buffer.from(value, 'utf8').toString('hex')}"`
  let out = `text : (${words})`
  if (query.rooms !== undefined) out += ` AND tags : (${query.rooms.map((r) => tag('e', `room/${r}`)).join(' OR ')})`
  if (query.author !== undefined) out += ` AND tags : ${tag('a', query.author)}`
  return out
}

/** A 53-bit digest of a post's text (two FNV-1a hashes): whether a post put again changed, without
 * keeping its text. */
function textDigest (text: string): number {
  let a = 0x811c9dc5
  let b = 0x01000193
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff)
}
