import type { JournalRecord } from '../kernel/index.ts'
import { agentDisplayName } from './chat-room-protocol.ts'
import type { ChatMessage, EraseAck, RedactAck, RoomEvent, RoomMsg } from './chat-room-protocol.ts'
import { ERASE_SCAN_PAGE, REDACT_BATCH } from './constants.ts'
import { ERASURES, ERASURE_LOG_KEY } from './erasure-log-protocol.ts'
import { NotAPostError, NotYourPostError, UnknownPostError } from './errors.ts'
import { notifyHooks } from './room-hooks.ts'
import type { RoomContext } from './room-volatile.ts'
import { push, record, toMessage } from './room-writes.ts'
import { mayHavePosted } from './room-posters.ts'
import { hasSeq } from './seq-ranges.ts'

type RedactMsg = Extract<RoomMsg, { type: 'redact' }>
type EraseMsg = Extract<RoomMsg, { type: 'erase-user' }>
type Posted = Extract<RoomEvent, { type: 'message-posted' }>

/** Whether `poster` (a post's `user`) is `user` or `user`'s agent: what a user may redact, and what
 * an erasure of the user takes. */
export function postedBy (poster: string, user: string): boolean {
  return poster === user || poster === agentDisplayName(user)
}

/** Whether an erasure of `user` takes the post: theirs or their agent's (postedBy), or one
 * imported into the room whose original author they were (`importedFrom.user`, the import's
 * metadata: the importing user is the poster of record). */
export function authoredBy (post: Posted, user: string): boolean {
  if (postedBy(post.user, user)) return true
  const original = (post as { readonly importedFrom?: { readonly user?: unknown } }).importedFrom?.user
  return typeof original === 'string' && postedBy(original, user)
}

/** The post as the store keeps it once redacted: no text, and who redacted it when. */
export function scrubbed (post: Posted, by: string, ts: number): Posted {
  return { ...post, text: '', redacted: { by, ts } }
}

/**
 * `redact`: checks the seq is a post the user may redact (their own, their agent's, or any for an
 * admin), notes it in the erasure log, journals a `message-redacted` event (subscribers get it as a
 * `redaction`), rewrites the stored post without its text on the replicas, and answers. A post redacted
 * already is answered `already` and nothing is written.
 */
export async function redact (ctx: RoomContext, msg: RedactMsg): Promise<void> {
  const { seq } = msg
  if (hasSeq(ctx.state.redacted, seq)) {
    ctx.reply(msg.replyTo, { room: ctx.key, seq, redactionSeq: 0, ts: 0, already: true })
    return
  }
  const floor = ctx.floor
  if (seq > ctx.durableSeq || seq < floor) {
    ctx.fail(msg.replyTo, new UnknownPostError(seq < floor
      ? `room ${ctx.key} holds no seq ${seq}: its retained history starts at ${floor}`
      : `room ${ctx.key} holds no seq ${seq}: its last message is ${ctx.durableSeq}`))
    return
  }
  const [found] = await ctx.events(seq, 1)
  if (found?.seq !== seq) {
    ctx.fail(msg.replyTo, new UnknownPostError(`room ${ctx.key} holds no seq ${seq} (retention dropped it)`))
    return
  }
  const event = found.event
  if (event.type !== 'message-posted') {
    ctx.fail(msg.replyTo, new NotAPostError(`seq ${seq} of room ${ctx.key} is a ${toMessage(ctx.key, found).kind}, not a post: only posts are redacted`))
    return
  }
  if (msg.admin !== true && !postedBy(event.user, msg.user)) {
    ctx.fail(msg.replyTo, new NotYourPostError(`seq ${seq} of room ${ctx.key} was posted by another user: a user redacts only their own posts (an admin redacts any)`))
    return
  }
  // noted in the erasure log first: a restore from a backup that still holds the post applies it
  try {
    await ctx.entity(ERASURES, ERASURE_LOG_KEY).ask<void>((replyTo) => ({ type: 'note-redaction', room: ctx.key, seq, replyTo }))
  } catch (err) {
    ctx.fail(msg.replyTo, err)
    return
  }
  // another redact of the same seq may have been handled while the post was read
  if (hasSeq(ctx.state.redacted, seq)) {
    ctx.reply(msg.replyTo, { room: ctx.key, seq, redactionSeq: 0, ts: 0, already: true })
    return
  }
  const ts = Date.now()
  record(ctx, { type: 'message-redacted', seq, by: msg.user, ts }, (message) => {
    scrubThenReply(ctx, [{ seq, event: scrubbed(event, msg.user, ts) }], () => {
      ctx.reply(msg.replyTo, { room: ctx.key, seq, redactionSeq: message.seq, ts, already: false } satisfies RedactAck)
    })
  }, [msg.replyTo])
}

/**
 * `erase-user`: the user leaves the room if a member; then the room reads its whole retained
 * journal, page by page, for the posts of the user and of their agent not redacted yet (none in a
 * room that knows its posters and the user is not one); journals a `message-redacted` for each, REDACT_BATCH to a
 * write (subscribers get each), and rewrites them without their text on the replicas before it
 * answers. Reading is the cost: a room of a million records is read once.
 */
export async function eraseUser (ctx: RoomContext, msg: EraseMsg): Promise<void> {
  // an erased user is no member any more (a leave, as any other: subscribers see it)
  if (ctx.state.members.includes(msg.user)) await recordMany(ctx, [{ type: 'member-left', user: msg.user, ts: Date.now() }])
  if (!mayHavePosted(ctx.state.posters, msg.user)) {
    // the room knows every poster, and the user is not one: nothing to read
    ctx.reply(msg.replyTo, { room: ctx.key, redacted: 0, already: 0 } satisfies EraseAck)
    return
  }
  const { todo, rescrub, already } = await findPosts(ctx, msg.user)
  const ts = Date.now()
  for (let i = 0; i < todo.length; i += REDACT_BATCH) {
    const batch = todo.slice(i, i + REDACT_BATCH)
    await recordMany(ctx, batch.map((r) => ({ type: 'message-redacted', seq: r.seq, by: msg.by, ts })))
  }
  // posts redacted before whose stored text a rewrite never replaced (it failed, or was made by a
  // node before rewrites existed) are scrubbed now too
  const scrub = [...rescrub, ...todo].sort((a, b) => a.seq - b.seq)
  for (let i = 0; i < scrub.length; i += REDACT_BATCH) {
    const batch = scrub.slice(i, i + REDACT_BATCH)
    await ctx.rewrite(batch.map((r) => ({ seq: r.seq, event: scrubbed(r.event, msg.by, ts) })))
  }
  ctx.reply(msg.replyTo, { room: ctx.key, redacted: todo.length, already: already + rescrub.length } satisfies EraseAck)
}

/** The user's posts in the retained journal: not redacted yet (`todo`), redacted but with their
 * text still stored (`rescrub`), and how many are redacted and scrubbed (`already`). */
async function findPosts (ctx: RoomContext, user: string): Promise<{ todo: Array<JournalRecord<Posted>>, rescrub: Array<JournalRecord<Posted>>, already: number }> {
  const todo: Array<JournalRecord<Posted>> = []
  const rescrub: Array<JournalRecord<Posted>> = []
  let already = 0
  const head = ctx.durableSeq
  for (let from = ctx.floor; from <= head;) {
    const page = await ctx.events(from, Math.min(ERASE_SCAN_PAGE, head - from + 1))
    if (page.length === 0) break
    for (const r of page) {
      if (r.event.type !== 'message-posted' || !authoredBy(r.event, user)) continue
      if (r.event.redacted !== undefined) already++
      else if (hasSeq(ctx.state.redacted, r.seq)) rescrub.push(r as JournalRecord<Posted>)
      else todo.push(r as JournalRecord<Posted>)
    }
    from = (page[page.length - 1] as JournalRecord<RoomEvent>).seq + 1
  }
  // posts redacted while the journal was read (the user's own redact) are not redacted twice
  return { todo: todo.filter((r) => !hasSeq(ctx.state.redacted, r.seq)), rescrub: [...rescrub, ...todo.filter((r) => hasSeq(ctx.state.redacted, r.seq))], already }
}

/** Journals the events in one write; once durable, pushes each to the gateways and the hooks. */
async function recordMany (ctx: RoomContext, events: readonly RoomEvent[]): Promise<void> {
  const first = ctx.seq + 1
  const messages: ChatMessage[] = events.map((event, i) => toMessage(ctx.key, { seq: first + i, event }))
  await ctx.persist(events)
  for (const message of messages) {
    push(ctx, { type: 'room-message', message })
    notifyHooks(ctx, message)
  }
}

/** Rewrites the redacted post without its text, then answers: the answer means the text is gone
 * from the store of every replica that is up (ctx.rewrite; one that was down follows by
 * anti-entropy). A rewrite that fails is logged and the redaction still answered (it is durable,
 * and every read hides the text already); the user's erasure, if it ever comes, scrubs such a post
 * (it is found by its mark). */
function scrubThenReply (ctx: RoomContext, records: ReadonlyArray<{ seq: number, event: RoomEvent }>, reply: () => void): void {
  ctx.rewrite(records).catch((err: unknown) => {
    ctx.log.warn({ room: ctx.key, err }, `rewriting redacted posts of room ${ctx.key} failed; their text is hidden but still stored`)
  }).finally(reply).catch((err: unknown) => { ctx.crash(err) })
}
