import { ROOM_NAME_RULE, USER_NAME_RULE, clip, isRoomName, isUserName } from '../../protocols/index.ts'
import { DEFAULT_SEARCH_LIMIT, MAX_QUERY_CHARS, MAX_QUERY_ROOMS, MAX_QUERY_TERMS, MAX_SEARCH_LIMIT } from './constants.ts'
import { InvalidSearchError } from './errors.ts'

/** How hits are ranked: BM25 over the text, nearest embeddings, or both fused (hybrid-rank.ts). */
export const SEARCH_MODES = ['text', 'semantic', 'hybrid'] as const
export type SearchMode = typeof SEARCH_MODES[number]

/** What a search covers: every room, the asker's own agent conversation, or both. */
export const SEARCH_SCOPES = ['all', 'rooms', 'agent'] as const
export type SearchScope = typeof SEARCH_SCOPES[number]

/** A search as every surface hands it over, checked (checkSearchQuery). */
export interface SearchQuery {
  readonly text: string
  readonly mode: SearchMode
  readonly scope: SearchScope
  /** Room names (not entity ids): only these rooms. */
  readonly rooms?: readonly string[]
  /** Only posts by this user (an agent's answers are by `agent`). */
  readonly author?: string
  /** Only posts at or after / before this time (ms since the epoch). */
  readonly since?: number
  readonly until?: number
  readonly limit: number
}

/** Who asks: a user sees every room and only their own agent conversation; an admin (null) sees
 * every room and every agent conversation. Enforced by the node that answers. */
export interface SearchViewer {
  readonly user: string | null
}

/** The author an agent's answers are indexed under. */
export const AGENT_AUTHOR = 'agent'

/** A search query from any surface (gRPC, the admin API, the agent's tool, another node), or
 * InvalidSearchError naming the field that is wrong and what was expected. */
export function checkSearchQuery (value: unknown): SearchQuery {
  const q = value as Record<string, unknown> | null
  if (q === null || typeof q !== 'object' || Array.isArray(q)) throw new InvalidSearchError('search: expected an object { text, mode?, scope?, rooms?, author?, since?, until?, limit? }')
  const text = q.text
  if (typeof text !== 'string' || text.trim().length === 0 || text.length > MAX_QUERY_CHARS) throw new InvalidSearchError(`search text: expected 1-${MAX_QUERY_CHARS} characters, got ${describeValue(text)}`)
  const mode = q.mode ?? 'text'
  if (!(SEARCH_MODES as readonly unknown[]).includes(mode)) throw new InvalidSearchError(`search mode: expected one of ${SEARCH_MODES.join(', ')}, got ${describeValue(mode)}`)
  const scope = q.scope ?? 'all'
  if (!(SEARCH_SCOPES as readonly unknown[]).includes(scope)) throw new InvalidSearchError(`search scope: expected one of ${SEARCH_SCOPES.join(', ')}, got ${describeValue(scope)}`)
  const limit = q.limit ?? DEFAULT_SEARCH_LIMIT
  if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_SEARCH_LIMIT) throw new InvalidSearchError(`search limit: expected an integer from 1 to ${MAX_SEARCH_LIMIT}, got ${describeValue(limit)}`)
  const out: { -readonly [K in keyof SearchQuery]: SearchQuery[K] } = { text, mode: mode as SearchMode, scope: scope as SearchScope, limit: limit as number }
  if (q.rooms !== undefined) {
    if (!Array.isArray(q.rooms) || q.rooms.length > MAX_QUERY_ROOMS) throw new InvalidSearchError(`search rooms: expected a list of at most ${MAX_QUERY_ROOMS} room names`)
    for (const r of q.rooms) if (!isRoomName(r)) throw new InvalidSearchError(`search rooms: expected room names (${ROOM_NAME_RULE}), got ${describeValue(r)}`)
    if (q.rooms.length > 0) out.rooms = [...new Set(q.rooms as string[])]
  }
  if (q.author !== undefined) {
    if (!isUserName(q.author)) throw new InvalidSearchError(`search author: expected a user name (${USER_NAME_RULE}), got ${describeValue(q.author)}`)
    out.author = q.author
  }
  for (const k of ['since', 'until'] as const) {
    const v = q[k]
    if (v === undefined) continue
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw new InvalidSearchError(`search ${k}: expected a time in ms since the epoch, got ${describeValue(v)}`)
    out[k] = v as number
  }
  if (out.since !== undefined && out.until !== undefined && out.since > out.until) throw new InvalidSearchError(`search: since (${out.since}) is after until (${out.until})`)
  if (matchExpression(text) === undefined) throw new InvalidSearchError('search text: expected at least one word (letters or digits)')
  return out
}

/** A viewer as it crosses the wire (another node's part of a search), or InvalidSearchError. */
export function checkSearchViewer (value: unknown): SearchViewer {
  const v = value as { user?: unknown } | null
  if (v === null || typeof v !== 'object') throw new InvalidSearchError('search viewer: expected { user: a user name | null }')
  if (v.user !== null && !isUserName(v.user)) throw new InvalidSearchError(`search viewer: expected { user: a user name | null }, got ${describeValue(v.user)}`)
  return { user: v.user as string | null }
}

/**
 * The FTS5 MATCH expression of a user's text: its words, each quoted as a phrase (so nothing the
 * user types is FTS5 syntax: no column filters, no NEAR, no injection), all required; a word ending
 * in `*` matches as a prefix. Undefined when the text has no word.
 */
export function matchExpression (text: string): string | undefined {
  const words: string[] = []
  for (const m of text.matchAll(/([\p{L}\p{N}_]+)(\*?)/gu)) {
    if (words.length >= MAX_QUERY_TERMS) break
    words.push(`"${m[1] as string}"${m[2] === '*' ? '*' : ''}`)
  }
  return words.length === 0 ? undefined : words.join(' ')
}

function describeValue (v: unknown): string {
  return clip(JSON.stringify(v) ?? String(v), 60)
}
