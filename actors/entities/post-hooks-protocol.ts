import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'

/** A committed post as a room pushes it to the hooks (the seq is the message's). */
export interface HookedPost {
  readonly user: string
  readonly text: string
  readonly ts: number
}

export type PostHooksMsg =
  /** A room is about to store its first post of an activation: note it (durably) from `from`, the
   * room's last seq, unless it is noted already. Answered once the note is durable. */
  | { readonly type: 'watch', readonly room: string, readonly from: number, readonly replyTo: ReplyTo<true> }
  /** A room committed `seq`: a post (`post`) or a join or leave (none, nothing to send). */
  | { readonly type: 'committed', readonly room: string, readonly seq: number, readonly post?: HookedPost }
  /** The room's last durable seq is `seq` (an answer to `hooks-idle` when it had more): read what
   * was missed from its journal. */
  | { readonly type: 'head', readonly room: string, readonly seq: number }
  /** The room had nothing past `seq` when asked (room message `hooks-idle`): stop watching it. */
  | { readonly type: 'unwatch', readonly room: string, readonly seq: number }
  /** Go on delivering (the node's resume service; after a restart this activates the entity). */
  | { readonly type: 'resume' }
  /** From the entity to itself: a request, a read or a timer ended; see what to do next. */
  | { readonly type: 'pump' }
  /** The durable cursor of each watched room (for operators and specs). */
  | { readonly type: 'cursors', readonly replyTo: ReplyTo<Readonly<Record<string, number>>> }

export type PostHooksEvent =
  | { readonly type: 'watched', readonly room: string, readonly from: number }
  /** Every post of the room up to `seq` reached the plugin (a durable cursor: at least once). */
  | { readonly type: 'delivered', readonly room: string, readonly seq: number }
  | { readonly type: 'unwatched', readonly room: string }

export interface PostHooksState {
  /** The rooms watched, each with its durable cursor (the last seq the plugin acknowledged). Room
   * names match ROOM_NAME_PATTERN, so no key is special to JavaScript. */
  readonly rooms: Readonly<Record<string, number>>
}

/**
 * The after-post hooks of one plugin: `post-hooks/<plugin>`. It sends the plugin every post the
 * rooms it watches commit, in seq order per room, at least once, from a durable cursor per room.
 */
export const POST_HOOKS = entityTypeKey<PostHooksMsg>('post-hooks')

/** Every type of PostHooksMsg (a type added to it and missing here does not compile). */
const POST_HOOKS_MSG_TYPES = Object.keys({ watch: true, committed: true, head: true, unwatch: true, resume: true, pump: true, cursors: true } satisfies Record<PostHooksMsg['type'], true>)

/** The post-hooks entity's EntityType.check: throws InvalidMessageError naming the first bad field. */
export function checkPostHooksMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'post-hooks message')
  switch (m.type) {
    case 'watch':
      m.roomName('room')
      m.integer('from', 0, Number.MAX_SAFE_INTEGER)
      m.replyTo()
      return
    case 'committed': {
      m.roomName('room')
      m.integer('seq', 1, Number.MAX_SAFE_INTEGER)
      if (m.raw('post') === undefined) return
      const post = m.object('post')
      // a user, or a bot's or an agent's display name
      post.string('user', 256)
      // an agent's whole answer may be longer than a post (the frame limit bounds it)
      post.string('text', Number.MAX_SAFE_INTEGER, 0)
      post.number('ts')
      return
    }
    case 'head':
    case 'unwatch':
      m.roomName('room')
      m.integer('seq', 0, Number.MAX_SAFE_INTEGER)
      return
    case 'resume':
    case 'pump':
      return
    case 'cursors':
      m.replyTo()
      return
    default:
      m.unknownType(POST_HOOKS_MSG_TYPES)
  }
}

/** The room's durable cursor, or undefined when it is not watched (own keys only: a room may be
 * named `constructor`). */
export function notedCursor (state: PostHooksState, room: string): number | undefined {
  return Object.hasOwn(state.rooms, room) ? state.rooms[room] : undefined
}
