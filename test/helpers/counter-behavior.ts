import type { ActorRef, Behavior, ReplyTo } from '../../actors/index.ts'

// A counting actor for the kernel's specs (test/actors/kernel): adds what it is told, answers
// `get`, and throws a RangeError (a failure, not a refusal) on `fail`.

export type CountMsg =
  | { type: 'inc', by: number }
  | { type: 'get', replyTo: ReplyTo<number> }
  | { type: 'fail', replyTo: ReplyTo<number> }

export const counter: Behavior<CountMsg, number> = {
  init: () => 0,
  receive (n, msg, ctx) {
    switch (msg.type) {
      case 'inc': return n + msg.by
      case 'get': ctx.reply(msg.replyTo, n); return n
      case 'fail': throw new RangeError('asked to fail')
    }
  }
}

/** The count, by an ask (of `timeout` ms when given). */
export const countOf = (ref: ActorRef<CountMsg>, timeout?: number): Promise<number> =>
  ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), timeout === undefined ? {} : { timeout })
