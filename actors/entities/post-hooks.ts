import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import {
  AFTER_POST_CHECKPOINT_EVERY, AFTER_POST_DEADLINE_MS, AFTER_POST_RETRY_FIRST_MS, AFTER_POST_RETRY_MAX_MS, AFTER_POST_TICK_MS, AFTER_POST_UNWATCH_MS,
  MAX_AFTER_POST_BUFFERED, MAX_AFTER_POST_LAG
} from './constants.ts'
import { cursorOf, pump } from './post-hooks-delivery.ts'
import type { HooksContext, HooksTuning, PostHooksVolatile } from './post-hooks-delivery.ts'
import { POST_HOOKS, checkPostHooksMsg, notedCursor } from './post-hooks-protocol.ts'
import type { PostHooksEvent, PostHooksMsg, PostHooksState } from './post-hooks-protocol.ts'
import type { RoomPlugins } from './room-plugins.ts'

export interface PostHooksOptions {
  readonly plugins: RoomPlugins
  /** Timings and bounds, each defaulting to its constant (tests shorten them). */
  readonly tuning?: Partial<HooksTuning>
}

/**
 * The after-post hooks of one plugin: `post-hooks/<plugin>` (role chat). Rooms note themselves here
 * before their first post of an activation (`watch`, durable) and push every committed event
 * (`committed`); the entity sends the plugin each post, one at a time per room in seq order, from a
 * durable cursor per room (`delivered`, noted every AFTER_POST_CHECKPOINT_EVERY posts and when a room
 * catches up), so every post reaches the plugin at least once, with its seq, also across a crash
 * or a restart. A request that fails is sent again with backoff; posts never wait for any of it. A
 * room caught up and quiet for a while is no longer watched (`hooks-idle`, then `unwatch`).
 */
export function postHooks (options: PostHooksOptions): EntityType<PostHooksMsg, PostHooksState, PostHooksEvent, PostHooksVolatile> {
  const tuning: HooksTuning = {
    tickMs: AFTER_POST_TICK_MS,
    unwatchAfterMs: AFTER_POST_UNWATCH_MS,
    retryFirstMs: AFTER_POST_RETRY_FIRST_MS,
    retryMaxMs: AFTER_POST_RETRY_MAX_MS,
    deadlineMs: AFTER_POST_DEADLINE_MS,
    maxLag: MAX_AFTER_POST_LAG,
    maxBuffered: MAX_AFTER_POST_BUFFERED,
    checkpointEvery: AFTER_POST_CHECKPOINT_EVERY,
    ...options.tuning
  }
  return {
    type: POST_HOOKS.type,
    role: 'chat',
    check: checkPostHooksMsg,
    initialState: () => ({ rooms: {} }),
    applyEvent: applyHooksEvent,
    createVolatile: () => ({ plugins: options.plugins, tuning, rooms: new Map(), buffered: 0, sending: 0 }),
    // a plugin no longer offered keeps its cursors and passivates; it resumes when offered again
    canPassivate: (ctx) => Object.keys(ctx.state.rooms).length === 0 || !options.plugins.view().afterPost.includes(ctx.key),
    receive: receiveHooksMsg
  }
}

function applyHooksEvent (state: PostHooksState, event: PostHooksEvent): PostHooksState {
  switch (event.type) {
    case 'watched':
    case 'delivered':
      return { rooms: { ...state.rooms, [event.room]: event.type === 'watched' ? event.from : event.seq } }
    case 'unwatched':
      return { rooms: Object.fromEntries(Object.entries(state.rooms).filter(([room]) => room !== event.room)) }
    default:
      return assertNever(event, 'post-hooks event')
  }
}

function receiveHooksMsg (ctx: HooksContext, msg: PostHooksMsg): void {
  switch (msg.type) {
    case 'watch': {
      const noted = notedCursor(ctx.state, msg.room)
      if (noted !== undefined && noted <= msg.from) {
        ctx.reply(msg.replyTo, true)
      } else {
        // a room new here, or one whose journal is behind its cursor (restored from an older copy)
        watch(ctx, msg.room, msg.from)
        ctx.persist({ type: 'watched', room: msg.room, from: msg.from }).then(() => { ctx.reply(msg.replyTo, true) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
      }
      cursorOf(ctx, msg.room).heardAt = Date.now()
      break
    }
    case 'committed': {
      if (notedCursor(ctx.state, msg.room) === undefined) {
        // its room could not note itself before the post: watch it from the post on
        watch(ctx, msg.room, msg.seq - 1)
        ctx.persist({ type: 'watched', room: msg.room, from: msg.seq - 1 }).catch(ignore)
      }
      const cursor = cursorOf(ctx, msg.room)
      if (msg.seq > cursor.delivered && !cursor.buffer.has(msg.seq) && ctx.volatile.buffered < ctx.volatile.tuning.maxBuffered) {
        cursor.buffer.set(msg.seq, msg.post ?? null)
        ctx.volatile.buffered++
      }
      cursor.head = Math.max(cursor.head, msg.seq)
      cursor.heardAt = Date.now()
      break
    }
    case 'head':
      if (notedCursor(ctx.state, msg.room) !== undefined) {
        const cursor = cursorOf(ctx, msg.room)
        cursor.head = Math.max(cursor.head, msg.seq)
      }
      break
    case 'unwatch':
      unwatch(ctx, msg.room, msg.seq)
      break
    case 'cursors':
      ctx.reply(msg.replyTo, ctx.state.rooms)
      break
    case 'resume':
    case 'pump':
      break
    default:
      assertNever(msg, 'post-hooks message')
  }
  pump(ctx)
}

/** A room watched from `from` on (its volatile cursor starts there). */
function watch (ctx: HooksContext, room: string, from: number): void {
  const cursor = cursorOf(ctx, room)
  cursor.delivered = from
  cursor.noted = from
  cursor.head = Math.max(from, cursor.head)
  cursor.unknownHead = false
  for (const seq of cursor.buffer.keys()) {
    if (seq <= from) {
      cursor.buffer.delete(seq)
      ctx.volatile.buffered--
    }
  }
}

/** The room said it has nothing past `seq`: forgotten, when every post up to it went out. */
function unwatch (ctx: HooksContext, room: string, seq: number): void {
  const cursor = notedCursor(ctx.state, room) === undefined ? undefined : cursorOf(ctx, room)
  if (cursor === undefined || cursor.delivered !== seq || cursor.head > seq || cursor.busy !== undefined) return
  ctx.volatile.buffered -= cursor.buffer.size
  ctx.volatile.rooms.delete(room)
  ctx.persist({ type: 'unwatched', room }).catch(ignore)
}

/** A failed write crashes the entity (the kernel's doing); the promise needs no handler of its own. */
function ignore (): void {}
