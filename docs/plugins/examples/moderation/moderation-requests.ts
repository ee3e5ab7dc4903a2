/**
 * What moderation answers Plexi (docs/plugins.md, "The protocol"): a before-post hook that refuses
 * a post holding a word of its list, an after-post hook that counts each room's posts, and the
 * `/modstats` command. Plain handlers over a WordList and PostCounts: the server wires them to
 * stdio.
 */
import { ErrorCode, RequestError } from './mcp-stdio.ts'
import type { RequestHandler } from './mcp-stdio.ts'
import type { PostCounts } from './post-counts.ts'
import type { WordList } from './word-list.ts'

/** What moderation declares in its `initialize` answer (`capabilities.experimental.plexi`). */
export const MODERATION_CAPABILITY = {
  api: '1.0.0',
  commands: [{ name: 'modstats', description: 'posts counted in this room and refused by moderation (`/modstats all`: every room)' }],
  hooks: { beforePost: true, afterPost: true }
} as const

/** Rooms `/modstats all` lists, at most: it is one chat line. */
export const MAX_LISTED_ROOMS = 10

const ROOM = /^[a-z0-9][a-z0-9._-]{0,63}$/

function field<T> (p: Readonly<Record<string, unknown>>, name: string, ok: (v: unknown) => v is T, expected: string): T {
  const v = p[name]
  if (!ok(v)) throw new RequestError(ErrorCode.invalidParams, `${name}: expected ${expected}`)
  return v
}
const isString = (v: unknown): v is string => typeof v === 'string'
const isRoom = (v: unknown): v is string => typeof v === 'string' && ROOM.test(v)
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

export interface Moderation {
  readonly words: WordList
  readonly counts: PostCounts
}

/** The handlers by method, with the refusals counted per room since the process started. */
export function moderationRequests ({ words, counts }: Moderation): Record<string, RequestHandler> {
  const refused = new Map<string, number>()
  return {
    'plexi/before-post': (p) => {
      const room = field(p, 'room', isRoom, 'a room name')
      const word = words.find(field(p, 'text', isString, 'the post\'s text'))
      if (word === undefined) return { verdict: 'allow' }
      refused.set(room, (refused.get(room) ?? 0) + 1)
      return { verdict: 'refuse', reason: `"${word}" is on this cluster's list of words not allowed in posts` }
    },
    'plexi/after-post': (p) => {
      counts.count(field(p, 'room', isRoom, 'a room name'), field(p, 'seq', isSeq, 'a seq (a whole number above 0)'), field(p, 'ts', isTime, 'a time in ms'))
      return {}
    },
    'plexi/command': (p) => {
      const room = field(p, 'room', isRoom, 'a room name')
      const command = field(p, 'command', isString, 'a command name')
      const args = field(p, 'args', isString, 'the command\'s arguments')
      if (command !== 'modstats') throw new RequestError(ErrorCode.invalidParams, `command: moderation answers /modstats, not /${command}`)
      return { text: modstats(room, args.trim(), { words, counts }, refused) }
    }
  }
}

function modstats (room: string, args: string, { words, counts }: Moderation, refused: ReadonlyMap<string, number>): string {
  const listed = `${words.words().size} words on the list`
  if (args === 'all') {
    const rooms = counts.all()
    if (rooms.length === 0) return `no posts counted yet; ${listed}`
    const shown = rooms.slice(0, MAX_LISTED_ROOMS).map((r) => `${r.room} ${r.posts}`).join(', ')
    const more = rooms.length > MAX_LISTED_ROOMS ? ` and ${rooms.length - MAX_LISTED_ROOMS} more rooms` : ''
    const refusedAll = [...refused.values()].reduce((a, b) => a + b, 0)
    return `posts counted: ${shown}${more}; ${refusedAll} refused since moderation started; ${listed}`
  }
  if (args !== '') return 'usage: /modstats (this room) or /modstats all (every room)'
  const c = counts.get(room)
  return `${room}: ${c.posts} posts counted (last seq ${c.lastSeq}); ${refused.get(room) ?? 0} refused since moderation started; ${listed}`
}
