/**
 * How a message keeps the trace it was sent in (node/tracing implements it; the kernel knows no
 * tracing library). A message is tagged with the trace being recorded where it is sent, and its
 * handler runs in that trace, however long it waited in a mailbox or a move's buffer and whichever
 * message's turn scheduled the drain. Without one attached (tracing off), nothing is tagged and
 * handlers run as they are: the cost is one branch per message.
 */
export interface MessageTrace {
  /** Tags `msg` with the trace recorded where this runs, unless it is tagged already (a message
   * that waited for an activation or a move keeps the trace of its sender). No trace recorded here
   * (or a message that is not an object): nothing. */
  tag (msg: unknown): void
  /** Runs `fn` (the handling of `msg` by the actor at `actor`, a path) in the trace `msg` was
   * tagged with, as a span of its own; an untagged message runs outside any trace, whatever
   * scheduled the turn. Returns what `fn` returns (a promise's span ends when it settles). */
  run<T> (msg: unknown, actor: string, fn: () => T): T
}
