import { MAX_ASK_ID_LENGTH, MAX_NODE_ID_LENGTH } from '../../protocols/index.ts'

/**
 * Where the reply to an `ask` goes. Plain data, so a request that carries it stays plain data
 * (it can cross the wire or sit in a mailbox that migrates); the system that created it resolves
 * the waiting promise when `ctx.reply(replyTo, value)` is called.
 */
export interface ReplyTo<R> {
  readonly askId: string
  readonly node: string
  /** Type-level only (never present): ties the reply type R to this address. Method syntax on
   * purpose: it makes ReplyTo<R> assignable to ReplyTo<unknown>. */
  __reply? (value: R): void
}

/** A well-formed reply address: an ask id and a node id within the wire's limits (a request's
 * `replyTo` may come from another node; one that is not an address is never replied to). */
export function isReplyTo (value: unknown): value is ReplyTo<unknown> {
  if (typeof value !== 'object' || value === null) return false
  const { askId, node } = value as { askId?: unknown, node?: unknown }
  return typeof askId === 'string' && askId.length > 0 && askId.length <= MAX_ASK_ID_LENGTH &&
    typeof node === 'string' && node.length > 0 && node.length <= MAX_NODE_ID_LENGTH
}

/** By convention a request names its reply address `replyTo`: if the handler throws, the kernel
 * rejects that ask with the error at once instead of letting it time out. */
export function replyToOf (msg: unknown): ReplyTo<unknown> | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined
  const replyTo = (msg as { replyTo?: unknown }).replyTo
  return isReplyTo(replyTo) ? replyTo : undefined
}
