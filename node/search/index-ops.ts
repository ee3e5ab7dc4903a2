import { AGENT_AUTHOR } from './search-query.ts'

/** One post as the index keeps it. */
export interface IndexRow {
  /** The entity's partition: a search asks each node for the partitions it was given. */
  readonly partition: number
  readonly entity: string
  readonly seq: number
  readonly author: string
  readonly ts: number
  readonly text: string
}

/** What one landed change does to the index: rows to put (replacing a row of their seq), seqs to
 * drop, and seqs redacted (dropped, and never taken again: a stale replica's copy of the post may
 * still land later). */
export interface IndexOps {
  readonly put: IndexRow[]
  readonly remove: Array<readonly [string, number]>
  readonly redact: Array<readonly [string, number]>
  /** Who a room's records name (a post's author, an imported post's original author, a member who
   * joined), as [entity, user, partition]: kept for good, so that an erasure asks only the rooms
   * that may hold something of its user (`touchedBy`). */
  readonly touch: Array<readonly [string, string, number]>
}

/** A record as the store holds it (StoredRecord's part the index reads). */
export interface RecordLike {
  readonly seq: number
  readonly event: unknown
}

/** Whether the index follows this entity: rooms and agents' conversations. */
export function isIndexed (entity: string): boolean {
  return entity.startsWith('room/') || entity.startsWith('agent/')
}

/** An empty set of ops to add to. */
export function noOps (): IndexOps {
  return { put: [], remove: [], redact: [], touch: [] }
}

/**
 * Adds what records of `entity` do to the index to `ops`. A room's `message-posted` with text is a
 * row; one with no text or with `redacted` (a redaction's rewrite of the post) drops its row; a
 * `message-redacted { seq }` drops and marks that seq; an imported post is its original author's, at
 * its original time (`importedFrom`). An agent's `user-asked` is a row by its user,
 * `agent-answered` a row by `agent`, and `turns-imported` one row of the user's and the answers'
 * text of the batch, by its user. Any other record put at a seq drops what was indexed there
 * (`replacing`: a record that may replace an indexed one; false while rebuilding an empty index).
 * Every user a room's record names is touched (addTouches).
 */
export function addRecordOps (ops: IndexOps, partition: number, entity: string, records: readonly RecordLike[], replacing: boolean): void {
  const room = entity.startsWith('room/')
  const user = room ? '' : entity.slice('agent/'.length)
  if (room) addTouches(ops, partition, entity, records)
  for (const r of records) {
    const e = r.event as { type?: unknown, text?: unknown, user?: unknown, ts?: unknown, seq?: unknown, redacted?: unknown, importedFrom?: { user?: unknown, ts?: unknown }, turns?: unknown } | null
    const type = e === null || typeof e !== 'object' ? undefined : e.type
    const from = room && typeof e?.importedFrom === 'object' && e.importedFrom !== null ? e.importedFrom : undefined
    const ts = typeof from?.ts === 'number' ? from.ts : typeof e?.ts === 'number' ? e.ts : 0
    if (room && type === 'message-redacted' && Number.isSafeInteger(e?.seq)) {
      ops.redact.push([entity, e?.seq as number])
      continue
    }
    const text = indexedText(room, r.event)
    let author: string | undefined
    if (room && type === 'message-posted' && typeof e?.user === 'string') author = typeof from?.user === 'string' ? from.user : e.user
    else if (!room && type === 'turns-imported') author = user
    else if (!room && type === 'user-asked') author = user
    else if (!room && type === 'agent-answered') author = AGENT_AUTHOR
    if (author !== undefined && text.trim() !== '') ops.put.push({ partition, entity, seq: r.seq, author, ts, text })
    else if (replacing) ops.remove.push([entity, r.seq])
  }
}

/**
 * Adds the users a room's records name to `ops.touch`: a post's poster (a user, or a user's agent
 * by its display name) and an imported post's original author, with or without text (a redacted
 * post is still theirs: an erasure scrubs a rewrite that failed), and a member who joined (an
 * erasure has them leave). What an erasure reads for the rooms of a user (room-redactions.ts
 * `authoredBy` and `eraseUser`): a user named here is one `touchedBy` finds.
 */
export function addTouches (ops: IndexOps, partition: number, entity: string, records: readonly RecordLike[]): void {
  if (!entity.startsWith('room/')) return
  let last = ''
  for (const r of records) {
    const e = r.event as { type?: unknown, user?: unknown, importedFrom?: { user?: unknown } } | null
    if (e === null || typeof e !== 'object' || typeof e.user !== 'string') continue
    if (e.type !== 'message-posted' && e.type !== 'member-joined') continue
    // a batch is mostly one poster's posts in a row: each pair once is enough, the index ignores repeats
    if (e.user !== last) { ops.touch.push([entity, e.user, partition]); last = e.user }
    const original = typeof e.importedFrom === 'object' && e.importedFrom !== null ? e.importedFrom.user : undefined
    if (typeof original === 'string' && original !== last) ops.touch.push([entity, original, partition])
  }
}

/** The text a record puts in the index ('' for none): a post's or a turn's text unless redacted,
 * an imported batch of an agent's turns as its lines. Snippets are made from it too. */
export function indexedText (room: boolean, event: unknown): string {
  const e = event as { type?: unknown, text?: unknown, redacted?: unknown, turns?: unknown } | null
  if (e === null || typeof e !== 'object') return ''
  if (typeof e.text === 'string' && e.redacted === undefined) return e.text
  return !room && e.type === 'turns-imported' ? importedText(e.turns) : ''
}

/** The user's questions and the answers of an imported batch of turns, one per line (tool calls and
 * their results are not what a user searches for). */
function importedText (turns: unknown): string {
  if (!Array.isArray(turns)) return ''
  const lines: string[] = []
  for (const t of turns as Array<{ role?: unknown, content?: unknown } | null>) {
    if ((t?.role === 'user' || t?.role === 'assistant') && typeof t.content === 'string' && t.content !== '') lines.push(t.content)
  }
  return lines.join('\n')
}

/** How many changes the ops make (what the feed's bound counts). */
export function opsSize (ops: IndexOps): number {
  return ops.put.length + ops.remove.length + ops.redact.length + ops.touch.length
}
