import { describe } from '../../protocols/index.ts'
import type { ChatMessage } from './chat-room-protocol.ts'
import { WATCH_TIMEOUT_MS } from './constants.ts'
import { POST_HOOKS } from './post-hooks-protocol.ts'
import type { PostHooksMsg } from './post-hooks-protocol.ts'
import type { RoomContext } from './room-volatile.ts'

/**
 * The room's side of after-post hooks (post-hooks.ts delivers). Before a room stores its first post
 * of an activation, each plugin's post-hooks entity notes the room durably (`watch`), so that after
 * a crash it knows which rooms may hold posts it has not sent; every event the room commits is then
 * pushed to it (`committed`). The note is the only thing a post waits for, and only once per
 * activation: a plugin that is down never holds a post.
 */
export async function watchHooks (ctx: RoomContext): Promise<void> {
  const missing = ctx.volatile.plugins.view().afterPost.filter((plugin) => !ctx.volatile.watched.has(plugin))
  if (missing.length === 0) return
  const from = ctx.seq
  await Promise.all(missing.map(async (plugin) => {
    try {
      await ctx.entity(POST_HOOKS, plugin).ask<true>((replyTo) => ({ type: 'watch', room: ctx.key, from, replyTo }), { timeout: WATCH_TIMEOUT_MS })
    } catch (err) {
      // the entity learns of the room from its first push instead (at least once holds unless its
      // node crashes before it noted the room)
      ctx.log.warn({ room: ctx.key, plugin, err: describe(err) }, 'post hooks: could not note the room before its post')
    }
    ctx.volatile.watched.add(plugin)
  }))
}

/** Pushes a committed post to every plugin that hooks after-post, and a join or leave (no text:
 * the hook moves past it) to those watching the room: an unwatched room's next post notes it from
 * its last seq, joins and leaves included. A push that cannot be taken is read from the journal
 * later. */
export function notifyHooks (ctx: RoomContext, message: ChatMessage): void {
  const offered = ctx.volatile.plugins.view().afterPost
  const hooked = message.kind === 'message' ? offered : offered.filter((plugin) => ctx.volatile.watched.has(plugin))
  if (hooked.length === 0) return
  const msg: PostHooksMsg = {
    type: 'committed',
    room: ctx.key,
    seq: message.seq,
    ...(message.kind === 'message' && { post: { user: message.user, text: message.text, ts: message.ts } })
  }
  for (const plugin of hooked) {
    try {
      ctx.entity(POST_HOOKS, plugin).tell(msg)
    } catch (err) {
      ctx.log.warn({ room: ctx.key, plugin, err: describe(err) }, 'post hooks: could not push a post')
    }
  }
}

/**
 * A plugin's post-hooks entity asks whether the room has anything past `seq`: when not, the room
 * forgets that it is watched (its next post notes it again) and tells the entity to stop watching
 * it. The tell goes before any later `watch` of this room, in order (one sender, one mailbox).
 * Otherwise the entity is told the room's last seq, so that it reads what it missed.
 */
export function hooksIdle (ctx: RoomContext, plugin: string, seq: number): void {
  const msg: PostHooksMsg | undefined = ctx.seq === seq
    ? { type: 'unwatch', room: ctx.key, seq }
    : ctx.durableSeq > seq ? { type: 'head', room: ctx.key, seq: ctx.durableSeq } : undefined
  if (msg === undefined) return
  if (msg.type === 'unwatch') ctx.volatile.watched.delete(plugin)
  try {
    ctx.entity(POST_HOOKS, plugin).tell(msg)
  } catch (err) {
    // a node without post hooks (UnknownEntityTypeError): nobody to tell
    ctx.log.debug({ room: ctx.key, plugin, err: describe(err) }, 'post hooks: cannot answer hooks-idle')
  }
}
