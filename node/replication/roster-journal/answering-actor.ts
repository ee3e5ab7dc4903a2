import type { Behavior, ReplyTo } from '../../../actors/index.ts'

/**
 * An actor that answers each request from another node once `serve` has: the request is checked
 * first (`check` throws naming what is wrong: the asker is told, nothing is served), then served
 * outside the mailbox's turn (the service orders its own work). The roster journal's replica and
 * its keeper both answer this way.
 */
export function answeringActor<M extends { readonly replyTo: ReplyTo<unknown> }, C> (check: (msg: unknown) => C, serve: (checked: C) => Promise<unknown>): Behavior<M, undefined> {
  return {
    init: () => undefined,
    checkPeer: (msg) => { check(msg) },
    receive (_state, msg, ctx) {
      let checked: C
      try {
        checked = check(msg)
      } catch (err) {
        ctx.fail(msg.replyTo, err)
        return undefined
      }
      serve(checked).then((reply) => { ctx.reply(msg.replyTo, reply) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
      return undefined
    }
  }
}
