import type { ReplyTo } from '../kernel/index.ts'
import type { BeforePostParams } from '../../protocols/plugins/index.ts'
import { AGENT_MENTION, postKey } from './chat-room-protocol.ts'
import type { PostAck, RoomEvent } from './chat-room-protocol.ts'
import { MAX_JUDGED_POSTS } from './constants.ts'
import { PostHookUnavailableError, PostRefusedError, RoomBacklogError } from './errors.ts'
import { withinDeadline } from './plugin-deadline.ts'
import { askAgent, reason } from './room-agents.ts'
import { commandOf, dropCommand, reserveCommand, startCommand } from './room-commands.ts'
import { watchHooks } from './room-hooks.ts'
import type { BeforePostHook, RoomCommand, RoomPlugins } from './room-plugins.ts'
import { receiptOf, repeat } from './room-receipts.ts'
import type { JudgedPost, PendingCommand, PostMsg, RoomContext, Verdict } from './room-volatile.ts'
import { ensureRegistered, record } from './room-writes.ts'

const ALLOWED: Verdict = { ok: true }

/**
 * A post arrives. A retry of a post the room stored (same user and client id) is answered with
 * its ack; a retry of one still being judged waits for it. With no before-post hook (and none
 * judged before it) it is stored at once; otherwise every hook judges it within its budget, and it
 * is stored (or refused) in the order posts came, once the posts before it are settled (settleJudged).
 */
export async function receivePost (ctx: RoomContext, msg: PostMsg): Promise<void> {
  const key = postKey(msg)
  const seen = key === undefined ? undefined : receiptOf(ctx.state, msg.user, key)
  if (seen !== undefined) {
    repeat(ctx, msg, seen)
    return
  }
  const queue = ctx.volatile.judged
  const judging = key === undefined ? undefined : queue.find((j) => j.key === key && j.msg.user === msg.user)
  if (judging !== undefined) {
    judging.repeats.push(msg.replyTo)
    return
  }
  const view = ctx.volatile.plugins.view()
  const command = commandOf(msg.text, view)
  if (view.beforePost.length === 0 && queue.length === 0) {
    await accept(ctx, msg, command, [])
    return
  }
  if (queue.length >= MAX_JUDGED_POSTS) {
    ctx.fail(msg.replyTo, new RoomBacklogError(`room ${ctx.key} has ${queue.length} posts waiting for before-post hooks; retry`))
    return
  }
  const entry: JudgedPost = { msg, key, command, verdict: view.beforePost.length === 0 ? ALLOWED : undefined, repeats: [] }
  queue.push(entry)
  if (entry.verdict !== undefined) return
  const self = ctx.self
  judge(ctx.volatile.plugins, view.beforePost, { room: ctx.key, user: msg.user, text: msg.text }).then((verdict) => {
    entry.verdict = verdict
    self.tell({ type: 'post-judged' })
  }, () => undefined)
}

/** Stores or refuses the posts at the head of the queue whose verdicts came, in arrival order. */
export async function settleJudged (ctx: RoomContext): Promise<void> {
  const queue = ctx.volatile.judged
  for (let next = queue[0]; next?.verdict !== undefined; next = queue[0]) {
    queue.shift()
    if (next.verdict.ok) {
      await accept(ctx, next.msg, next.command, next.repeats)
    } else {
      for (const to of [next.msg.replyTo, ...next.repeats]) ctx.fail(to, next.verdict.error)
    }
  }
}

/**
 * Every hook's verdict on a post, asked at once: refused as soon as one refuses; allowed once all
 * allowed. A hook that gives no verdict in its budget (a timeout, a crash, an answer that is not one)
 * is counted and its policy decides: `allow` lets the post through, `refuse` refuses it
 * (PostHookUnavailableError, which says to retry). Never rejects.
 */
export async function judge (plugins: RoomPlugins, hooks: readonly BeforePostHook[], params: BeforePostParams): Promise<Verdict> {
  const verdicts = hooks.map(async (hook): Promise<Verdict> => {
    try {
      const answer = await withinDeadline(plugins.request(hook.plugin, 'plexi/before-post', params, hook.budgetMs), hook.budgetMs, hook.plugin, 'plexi/before-post')
      if (answer.verdict === 'refuse') {
        plugins.record({ hook: 'before-post', plugin: hook.plugin, outcome: 'refused' })
        return { ok: false, error: new PostRefusedError(hook.plugin, answer.reason) }
      }
      plugins.record({ hook: 'before-post', plugin: hook.plugin, outcome: 'allowed' })
      return ALLOWED
    } catch (err) {
      plugins.record({ hook: 'before-post', plugin: hook.plugin, outcome: 'failed', policy: hook.onFailure })
      return hook.onFailure === 'allow' ? ALLOWED : { ok: false, error: new PostHookUnavailableError(hook.plugin, reason(err)) }
    }
  })
  return await new Promise((resolve) => {
    let left = verdicts.length
    for (const verdict of verdicts) {
      void verdict.then((v) => {
        if (!v.ok) resolve(v)
        if (--left === 0) resolve(ALLOWED)
      })
    }
  })
}

/**
 * Stores a post that passed (with the retries that came while it was judged): the room registers
 * on its first event and notes itself to the after-post hooks, then journals the post; once it is
 * durable its poster and the retries get the ack, an @agent mention asks the poster's agent and a
 * command asks its plugin.
 */
async function accept (ctx: RoomContext, msg: PostMsg, command: RoomCommand | undefined, repeats: Array<ReplyTo<PostAck>>): Promise<void> {
  const askers = [msg.replyTo, ...repeats]
  let pending: PendingCommand | undefined
  try {
    if (command !== undefined) pending = reserveCommand(ctx, command)
  } catch (err) {
    for (const to of askers) ctx.fail(to, err)
    return
  }
  if (!await ensureRegistered(ctx, msg.user, askers)) {
    if (pending !== undefined) dropCommand(ctx, pending)
    return
  }
  await watchHooks(ctx)
  const event: RoomEvent = { type: 'message-posted', user: msg.user, text: msg.text, ts: Date.now(), ...(msg.clientId !== undefined && { clientId: msg.clientId }), ...(msg.ref !== undefined && { ref: msg.ref }) }
  const written = record(ctx, event, (m) => {
    for (const to of askers) ctx.reply(to, { room: m.room, seq: m.seq, ts: m.ts })
    if (AGENT_MENTION.test(m.text)) askAgent(ctx, m)
    if (pending !== undefined) startCommand(ctx, pending, m)
  }, askers)
  if (pending !== undefined) {
    const dropped = pending
    written.catch(() => { dropCommand(ctx, dropped) })
  }
  if (postKey(msg) !== undefined) {
    const seq = ctx.seq
    ctx.volatile.writing.set(seq, written)
    written.then(() => { ctx.volatile.writing.delete(seq) }, () => { ctx.volatile.writing.delete(seq) })
  }
}
