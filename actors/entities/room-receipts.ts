import { RECENT_POSTERS, RECENT_POST_IDS_PER_USER } from './chat-room-protocol.ts'
import type { PostReceipt, RoomState } from './chat-room-protocol.ts'
import type { PostMsg, RoomContext } from './room-volatile.ts'

/**
 * A post repeating a (user, client id) the room has seen: answered with the first post's ack, and
 * nothing is journaled. The first may still be in flight: the ack waits for it to be durable (and
 * a failed write fails the retry too, which the client retries again).
 */
export function repeat (ctx: RoomContext, msg: PostMsg, seen: PostReceipt): void {
  const ack = { room: ctx.key, seq: seen.seq, ts: seen.ts }
  const writing = seen.seq > ctx.durableSeq ? ctx.volatile.writing.get(seen.seq) : undefined
  if (writing === undefined) {
    ctx.reply(msg.replyTo, ack)
    return
  }
  writing.then(() => { ctx.reply(msg.replyTo, ack) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
}

export function receiptOf (state: RoomState, user: string, clientId: string): PostReceipt | undefined {
  const posts = state.recentPosts ?? {}
  return Object.hasOwn(posts, user) ? posts[user]?.find((r) => r.clientId === clientId) : undefined
}

/**
 * The table of recent posts with `receipt` added for `user`: the user's last
 * RECENT_POST_IDS_PER_USER, for the RECENT_POSTERS users who posted with an id most recently. The
 * user moves to the end (objects keep insertion order, msgpackr too), so the first is the one to
 * forget. Built with fromEntries: a user name is only ever an own key.
 */
export function remember (posts: Readonly<Record<string, readonly PostReceipt[]>>, user: string, receipt: PostReceipt): Record<string, readonly PostReceipt[]> {
  const own = Object.hasOwn(posts, user) ? posts[user] ?? [] : []
  const entries = Object.entries(posts).filter(([u]) => u !== user)
  entries.push([user, [...own.slice(Math.max(0, own.length - (RECENT_POST_IDS_PER_USER - 1))), receipt]])
  return Object.fromEntries(entries.length > RECENT_POSTERS ? entries.slice(entries.length - RECENT_POSTERS) : entries)
}
