import { describe } from '../../protocols/index.ts'
import type { EntityContext } from '../kernel/index.ts'
import { ROOM } from './chat-room-protocol.ts'
import type { ChatMessage } from './chat-room-protocol.ts'
import { AFTER_POST_PAGE, AFTER_POST_ROOMS_IN_FLIGHT } from './constants.ts'
import { withinDeadline } from './plugin-deadline.ts'
import { notedCursor } from './post-hooks-protocol.ts'
import type { HookedPost, PostHooksEvent, PostHooksMsg, PostHooksState } from './post-hooks-protocol.ts'
import type { RoomPlugins } from './room-plugins.ts'

/** Timings and bounds of a post-hooks entity (constants.ts says each one's why). */
export interface HooksTuning {
  readonly tickMs: number
  readonly unwatchAfterMs: number
  readonly retryFirstMs: number
  readonly retryMaxMs: number
  readonly deadlineMs: number
  readonly maxLag: number
  readonly maxBuffered: number
  readonly checkpointEvery: number
}

/** Where one watched room's posts stand in this activation. */
export interface RoomCursor {
  /** The last seq the plugin acknowledged (every one before it too). */
  delivered: number
  /** The last `delivered` written to the journal. */
  noted: number
  /** The highest seq known committed. */
  head: number
  /** Whether the room may have posts past `head` nobody told of (after an activation, or a full
   * page read): the journal is read to find out. */
  unknownHead: boolean
  /** Committed events by seq, pushed or read: a post, or null for a join or leave. */
  readonly buffer: Map<number, HookedPost | null>
  /** A request to the plugin or a read of the room in flight. */
  busy: 'sending' | 'reading' | undefined
  /** Failed requests or reads in a row, and when the next may go. */
  failures: number
  retryAt: number
  /** When the room last pushed, and when it was last asked whether it is idle. */
  heardAt: number
  askedIdleAt: number
}

export interface PostHooksVolatile {
  readonly plugins: RoomPlugins
  readonly tuning: HooksTuning
  readonly rooms: Map<string, RoomCursor>
  /** Buffered events of all rooms (pushes are kept while below tuning.maxBuffered). */
  buffered: number
  /** Requests to the plugin in flight. */
  sending: number
}

export type HooksContext = EntityContext<PostHooksMsg, PostHooksState, PostHooksEvent, PostHooksVolatile>

/** The room's cursor in this activation; one made from its durable cursor when new here. */
export function cursorOf (ctx: HooksContext, room: string): RoomCursor {
  let cursor = ctx.volatile.rooms.get(room)
  if (cursor === undefined) {
    const noted = notedCursor(ctx.state, room) ?? 0
    cursor = { delivered: noted, noted, head: noted, unknownHead: true, buffer: new Map(), busy: undefined, failures: 0, retryAt: 0, heardAt: Date.now(), askedIdleAt: 0 }
    ctx.volatile.rooms.set(room, cursor)
  }
  return cursor
}

/**
 * Does what is due in every watched room: the next post sent (one at a time per room, at most
 * AFTER_POST_ROOMS_IN_FLIGHT rooms at once), a read of the room's journal for events not pushed,
 * the cursor noted, an idle room asked whether it is done. Runs after every message and on a tick
 * while any room is watched; every request and read ends in a `pump` message.
 */
export function pump (ctx: HooksContext): void {
  const rooms = Object.keys(ctx.state.rooms)
  if (rooms.length === 0) {
    ctx.timers.cancel('tick')
    return
  }
  // a plugin that is not offered now keeps its cursors; nothing is sent until it is back (the
  // resume service wakes the entity then), and no tick keeps it from passivating meanwhile
  if (!ctx.volatile.plugins.view().afterPost.includes(ctx.key)) {
    ctx.timers.cancel('tick')
    return
  }
  if (!ctx.timers.isActive('tick')) ctx.timers.startPeriodic('tick', { type: 'pump' }, ctx.volatile.tuning.tickMs)
  const now = Date.now()
  for (const room of rooms) {
    const cursor = cursorOf(ctx, room)
    if (cursor.busy !== undefined || cursor.retryAt > now) continue
    skipPastLag(ctx, room, cursor)
    advance(ctx, room, cursor, now)
  }
}

function advance (ctx: HooksContext, room: string, cursor: RoomCursor, now: number): void {
  const { tuning } = ctx.volatile
  for (;;) {
    if (cursor.delivered - cursor.noted >= tuning.checkpointEvery) note(ctx, room, cursor)
    const next = cursor.delivered + 1
    const event = cursor.buffer.get(next)
    if (event === null) {
      // a join or leave: nothing to send
      take(ctx, cursor, next)
      continue
    }
    if (event !== undefined) {
      if (ctx.volatile.sending < AFTER_POST_ROOMS_IN_FLIGHT) send(ctx, room, cursor, next, event)
      return
    }
    if (next <= cursor.head || cursor.unknownHead) {
      read(ctx, room, cursor)
      return
    }
    // caught up
    if (cursor.delivered > cursor.noted) note(ctx, room, cursor)
    if (now - cursor.heardAt >= tuning.unwatchAfterMs && now - cursor.askedIdleAt >= tuning.unwatchAfterMs) {
      cursor.askedIdleAt = now
      ctx.entity(ROOM, room).tell({ type: 'hooks-idle', plugin: ctx.key, seq: cursor.delivered })
    }
    return
  }
}

/** Moves the cursor past `seq`. */
function take (ctx: HooksContext, cursor: RoomCursor, seq: number): void {
  if (cursor.buffer.delete(seq)) ctx.volatile.buffered--
  cursor.delivered = seq
}

function note (ctx: HooksContext, room: string, cursor: RoomCursor): void {
  cursor.noted = cursor.delivered
  // a cursor not saved only means the posts after the last saved one are sent again after a
  // restart (at least once, as after-post hooks are promised)
  ctx.persist({ type: 'delivered', room, seq: cursor.delivered }).catch(() => undefined)
}

/** One post to the plugin; its answer (or failure) comes back as `pump`. */
function send (ctx: HooksContext, room: string, cursor: RoomCursor, seq: number, post: HookedPost): void {
  const { plugins, tuning } = ctx.volatile
  const plugin = ctx.key
  const self = ctx.self
  cursor.busy = 'sending'
  ctx.volatile.sending++
  let request
  try {
    request = plugins.request(plugin, 'plexi/after-post', { room, seq, user: post.user, text: post.text, ts: post.ts }, tuning.deadlineMs)
  } catch (err) {
    request = Promise.reject(err)
  }
  withinDeadline(request, tuning.deadlineMs, plugin, 'plexi/after-post').then(() => {
    if (cursor.delivered === seq - 1) take(ctx, cursor, seq)
    if (cursor.failures > 0) ctx.log.info({ plugin, room, failures: cursor.failures }, 'after-post hook: the plugin answers again')
    cursor.failures = 0
    plugins.record({ hook: 'after-post', plugin, outcome: 'delivered', posts: 1 })
  }, (err: unknown) => {
    failed(ctx, cursor, `plugin ${plugin} did not take post ${seq} of room ${room}`, err)
    plugins.record({ hook: 'after-post', plugin, outcome: 'failed', posts: 1 })
  }).finally(() => {
    cursor.busy = undefined
    ctx.volatile.sending--
    self.tell({ type: 'pump' })
  })
}

/** Reads the room's events past the cursor from its journal (what was not pushed). */
function read (ctx: HooksContext, room: string, cursor: RoomCursor): void {
  const self = ctx.self
  const { tuning } = ctx.volatile
  const after = cursor.delivered
  cursor.busy = 'reading'
  let page: Promise<ChatMessage[]>
  try {
    page = ctx.entity(ROOM, room).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after, limit: AFTER_POST_PAGE, replyTo }), { timeout: tuning.deadlineMs })
  } catch (err) {
    page = Promise.reject(err)
  }
  page.then((messages) => {
    if (cursor.delivered !== after) return
    for (const m of messages) {
      if (m.seq <= after || cursor.buffer.has(m.seq)) continue
      cursor.buffer.set(m.seq, m.kind === 'message' ? { user: m.user, text: m.text, ts: m.ts } : null)
      ctx.volatile.buffered++
    }
    const last = messages.at(-1)?.seq ?? after
    // a page that is not full is all there is; an empty one below the head means the head was wrong
    cursor.head = messages.length === 0 ? after : Math.max(cursor.head, last)
    cursor.unknownHead = messages.length >= AFTER_POST_PAGE
    cursor.failures = 0
  }, (err: unknown) => {
    failed(ctx, cursor, `could not read room ${room} past ${after}`, err)
  }).finally(() => {
    cursor.busy = undefined
    self.tell({ type: 'pump' })
  })
}

/** A request or read failed: the next try waits (doubling); the first of a streak is logged. */
function failed (ctx: HooksContext, cursor: RoomCursor, what: string, err: unknown): void {
  const { tuning } = ctx.volatile
  cursor.failures++
  cursor.retryAt = Date.now() + Math.min(tuning.retryMaxMs, tuning.retryFirstMs * 2 ** (cursor.failures - 1))
  if (cursor.failures === 1) ctx.log.warn({ plugin: ctx.key, err: describe(err) }, `after-post hook: ${what}; retrying with backoff`)
}

/**
 * More than tuning.maxLag events behind the room's head (a plugin down for long): the oldest are
 * skipped, so that the plugin gets the newest ones rather than an ever older backlog; counted and
 * logged, the one exception to at least once.
 */
function skipPastLag (ctx: HooksContext, room: string, cursor: RoomCursor): void {
  const { tuning, plugins } = ctx.volatile
  const behind = cursor.head - cursor.delivered
  if (behind <= tuning.maxLag) return
  const to = cursor.head - tuning.maxLag
  const skipped = to - cursor.delivered
  for (const seq of cursor.buffer.keys()) {
    if (seq <= to && cursor.buffer.delete(seq)) ctx.volatile.buffered--
  }
  cursor.delivered = to
  note(ctx, room, cursor)
  plugins.record({ hook: 'after-post', plugin: ctx.key, outcome: 'skipped', posts: skipped })
  ctx.log.warn({ plugin: ctx.key, room, skipped, maxLag: tuning.maxLag }, 'after-post hook: the plugin is too far behind; the oldest posts are skipped')
}
