import type { RetentionAck, RoomMsg } from './chat-room-protocol.ts'
import { DAY_MS } from './constants.ts'
import type { RoomContext } from './room-volatile.ts'

type RetentionMsg = Extract<RoomMsg, { type: 'apply-retention' }>

/**
 * `apply-retention`: the first seq the policy keeps (`posts`: the last N records of the room's
 * history; `days`: the first record at or after now − N days; both: the later of the two cuts), and
 * the journal trimmed below it on every replica. Answers the room's floor and how many records
 * went; a policy that keeps everything held writes nothing.
 */
export async function applyRetention (ctx: RoomContext, msg: RetentionMsg): Promise<void> {
  const floor = ctx.floor
  const head = ctx.durableSeq
  let before = floor
  if (msg.retention.posts !== undefined) before = Math.max(before, head - msg.retention.posts + 1)
  if (msg.retention.days !== undefined) before = Math.max(before, await firstAtOrAfter(ctx, msg.now - msg.retention.days * DAY_MS, floor, head))
  before = Math.min(before, head + 1)
  if (before <= floor) {
    ctx.reply(msg.replyTo, { room: ctx.key, floor, dropped: 0 } satisfies RetentionAck)
    return
  }
  await ctx.trim(before)
  ctx.reply(msg.replyTo, { room: ctx.key, floor: before, dropped: before - floor } satisfies RetentionAck)
}

/**
 * The first seq in [from, head] whose event is at or after `ts` (head + 1 when none is), by a
 * binary search over the journal: events are journaled in time order (a room stamps them as it
 * persists them), so a million records take twenty reads.
 */
export async function firstAtOrAfter (ctx: RoomContext, ts: number, from: number, head: number): Promise<number> {
  let lo = from
  let hi = head + 1
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    const [r] = await ctx.events(mid, 1)
    // a seq the journal no longer holds (trimmed meanwhile) counts as old
    if (r === undefined || r.seq !== mid || r.event.ts < ts) lo = mid + 1
    else hi = mid
  }
  return lo
}
