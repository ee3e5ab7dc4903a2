import type { Command } from 'commander'
import { MAX_SEARCH_LIMIT, MAX_SEARCH_QUERY_CHARS, ROOM_NAME_RULE, USER_NAME_RULE, isRoomName, isUserName } from '../../protocols/index.ts'
import { UsageError } from '../cli-errors.ts'
import { printJson } from '../cli-io.ts'
import type { CliIo } from '../cli-io.ts'
import { withClientOptions, withFlags } from '../client-options.ts'
import type { ClientFlags } from '../client-options.ts'
import { integer, listed } from '../flag-values.ts'
import type { NodeClient } from '../node-client.ts'

type SearchFlags = ClientFlags & { room?: string[], author?: string, since?: string, until?: string, limit: string, semantic?: boolean, hybrid?: boolean, agent?: boolean, rooms?: boolean }

/** One hit as the Search call answers it (chat.proto SearchHit). */
interface WireHit { kind: string, name: string, seq: number, author: string, ts: number, snippet: string, marks: Array<{ start: number, length: number }>, score: number }
interface WireAnswer { hits: WireHit[], partial: boolean, missingPartitions: number[], incompleteNodes: string[], semantic: string, embedMs: number, failed: Array<{ node: string, error: string }> }

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** A time flag: ms since the epoch, an ISO date (2026-01-31, 2026-01-31T12:00Z), or a span ago
 * (30m, 12h, 7d, 2w), or a UsageError naming the flag. */
export function timeFlag (text: string, flag: string, now = Date.now()): number {
  const ago = /^(\d+)([mhdw])$/.exec(text)
  if (ago !== null) return now - Number(ago[1]) * (UNITS[ago[2] as string] as number)
  if (/^\d+$/.test(text)) return integer(text, flag, 0, Number.MAX_SAFE_INTEGER)
  const t = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN
  if (!Number.isFinite(t) || t < 0) throw new UsageError(`${flag}: expected ms since the epoch, a date (2026-01-31, 2026-01-31T12:00Z) or a span ago (30m, 12h, 7d, 2w), got ${JSON.stringify(text.slice(0, 60))}`)
  return t
}

/** The snippet with each match in [brackets]. */
export function markedSnippet (hit: Pick<WireHit, 'snippet' | 'marks'>): string {
  let out = ''
  let at = 0
  for (const { start, length } of [...hit.marks].sort((a, b) => a.start - b.start)) {
    if (start < at) continue
    out += `${hit.snippet.slice(at, start)}[${hit.snippet.slice(start, start + length)}]`
    at = start + length
  }
  return out + hit.snippet.slice(at)
}

/** `plexi chat search QUERY`: the Search call, as the user whose token it carries. */
export function addSearchCommand (chat: Command, io: CliIo, connect: (flags: ClientFlags) => Promise<NodeClient>): void {
  withClientOptions(chat.command('search <query...>'), 'chat')
    .description('ranked search over every room and your own agent conversation; each hit is ROOM#SEQ, so `plexi chat history --room ROOM --after SEQ-1` opens it there (--json: {hits, partial, missingPartitions, ...})')
    .option('--room <room>', 'only this room (repeat, or comma-separate, for several)', listed)
    .option('--author <user>', 'only posts by this user (an agent\'s answers: agent)')
    .option('--since <time>', 'only posts at or after: ms, a date (2026-01-31) or a span ago (7d)')
    .option('--until <time>', 'only posts before: ms, a date or a span ago')
    .option('--limit <n>', `at most this many hits (1-${MAX_SEARCH_LIMIT})`, '20')
    .option('--semantic', 'rank by meaning (embeddings) instead of words')
    .option('--hybrid', 'rank by words and meaning together (reciprocal rank fusion)')
    .option('--rooms', 'search rooms only, not your agent conversation')
    .option('--agent', 'search your agent conversation only')
    .action(withFlags(async (words: string[], flags: SearchFlags) => {
      const request = searchRequest(words.join(' '), flags)
      const client = await connect(flags)
      try {
        const answer = await client.call<WireAnswer>('Search', request)
        if (flags.json === true) { printJson(io, answer); return }
        for (const h of answer.hits) {
          const where = h.kind === 'room' ? `${h.name}#${h.seq}` : `agent:${h.name}#${h.seq}`
          io.stdout.write(`${where}  ${h.author}  ${new Date(h.ts).toISOString()}  ${markedSnippet(h)}\n`)
        }
        if (answer.hits.length === 0) io.stderr.write('plexi: no hits\n')
        if (answer.partial) io.stderr.write(`plexi: partial results: ${answer.missingPartitions.length > 0 ? `${answer.missingPartitions.length} partitions did not answer` : ''}${answer.missingPartitions.length > 0 && answer.incompleteNodes.length > 0 ? '; ' : ''}${answer.incompleteNodes.length > 0 ? `the index of ${answer.incompleteNodes.length} node(s) is still being rebuilt` : ''}\n`)
        if (request.mode !== 'text' && answer.semantic !== 'used') io.stderr.write(`plexi: semantic ranking ${answer.semantic === 'partial' ? 'ran on some nodes only' : 'is not available (no node embeds: docs/search.md)'}\n`)
      } finally {
        client.close()
      }
    }))
}

/** The flags as a SearchRequest, each checked (a UsageError names the flag). */
export function searchRequest (query: string, flags: SearchFlags, now = Date.now()): { query: string, rooms: string[], author: string, since: number, until: number, limit: number, mode: string, scope: string } {
  if (query.trim() === '' || query.length > MAX_SEARCH_QUERY_CHARS) throw new UsageError(`QUERY: expected 1-${MAX_SEARCH_QUERY_CHARS} characters`)
  const rooms = flags.room ?? []
  for (const r of rooms as readonly unknown[]) if (!isRoomName(r)) throw new UsageError(`--room: ${JSON.stringify(String(r).slice(0, 80))} is not a room name (${ROOM_NAME_RULE})`)
  const author = flags.author
  if (author !== undefined && !isUserName(author)) throw new UsageError(`--author: ${JSON.stringify(String(author).slice(0, 80))} is not a user name (${USER_NAME_RULE})`)
  if (flags.semantic === true && flags.hybrid === true) throw new UsageError('--semantic and --hybrid: choose one')
  if (flags.rooms === true && flags.agent === true) throw new UsageError('--rooms and --agent: choose one (neither: both)')
  return {
    query,
    rooms,
    author: author ?? '',
    since: flags.since === undefined ? 0 : timeFlag(flags.since, '--since', now),
    until: flags.until === undefined ? 0 : timeFlag(flags.until, '--until', now),
    limit: integer(flags.limit, '--limit', 1, MAX_SEARCH_LIMIT),
    mode: flags.semantic === true ? 'semantic' : flags.hybrid === true ? 'hybrid' : 'text',
    scope: flags.rooms === true ? 'rooms' : flags.agent === true ? 'agent' : 'all'
  }
}
