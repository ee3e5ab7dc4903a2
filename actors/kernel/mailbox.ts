import { BoundedQueue } from './bounded-queue.ts'
import { MESSAGES_PER_CLOCK_CHECK, TURN_SLICE_MS } from './constants.ts'
import { InFlight } from './in-flight.ts'
import type { ActorContext, Behavior, ExitReason, Signal } from './behavior.ts'
import type { MessageTrace } from './message-trace.ts'

/** What a mailbox needs of its actor (ActorCell builds it). */
export interface MailboxOwner<M, S> {
  readonly behavior: Behavior<M, S>
  readonly ctx: ActorContext<M>
  /** Whether messages may be handled now (the actor is running). */
  running (): boolean
  /** The actor's incarnation: the result of a handler of an older one is dropped. */
  incarnation (): number
  state (): S
  setState (next: S): void
  /** A turn ended, having handled `n` messages and signals. */
  handled (n: number): void
  /** ctx.stop() took effect after the current message (reason 'normal'). */
  exit (reason: ExitReason): void
  /** An idle stop was asked for and the mailbox is empty now. */
  idle (): void
  /** The handler of `msg` (undefined: of a signal) threw `err`; the turn has ended. */
  threw (err: unknown, msg: M | undefined): void
}

/**
 * An actor's mailbox and the loop that drains it (as Akka's Mailbox runs its actor): one message at
 * a time, in order; the kernel's signals (deathwatch) before messages; a turn yields the event loop
 * once it has run for TURN_SLICE_MS, so that one hot actor cannot starve I/O or the others.
 */
export class Mailbox<M, S> {
  /** Whether a handler (or the actor's init) runs now. */
  readonly inFlight = new InFlight()
  readonly #queue: BoundedQueue<M>
  readonly #signals: Signal[] = []
  readonly #owner: MailboxOwner<M, S>
  #scheduled = false
  #stopRequest: ExitReason | undefined
  readonly #trace: MessageTrace | undefined
  /** The actor's path (its handlers' spans name it). */
  readonly #path: string

  constructor (capacity: number, owner: MailboxOwner<M, S>, trace?: MessageTrace, path = '') {
    this.#queue = new BoundedQueue<M>(capacity)
    this.#owner = owner
    this.#trace = trace
    this.#path = path
  }

  get length (): number { return this.#queue.length }

  /** Enqueues `msg`; false (and nothing changes) when the mailbox is full. */
  push (msg: M): boolean {
    if (!this.#queue.push(msg)) return false
    this.schedule()
    return true
  }

  /** Enqueues past the bound: only for the kernel's own notifications, which must not be lost. */
  force (msg: M): void {
    this.#queue.force(msg)
    this.schedule()
  }

  signal (signal: Signal): void {
    this.#signals.push(signal)
    this.schedule()
  }

  /** Stop after the current message (reason 'normal'): `ctx.stop()`. */
  requestStop (): void {
    this.#stopRequest = { type: 'normal' }
    this.schedule()
  }

  /** Stop when idle next: after the messages already queued. */
  requestIdleStop (): void {
    this.#stopRequest ??= { type: 'idle' }
    this.schedule()
  }

  /** A restart: signals and a stop request of the old incarnation go; the messages stay. */
  restarted (): void {
    this.#stopRequest = undefined
    this.#signals.length = 0
  }

  /** The actor stopped for good: everything left, oldest first (they become dead letters). */
  takeAll (): M[] {
    this.#signals.length = 0
    return this.#queue.drain()
  }

  /** Runs a turn soon (a microtask) if there is anything to do and the actor can do it. */
  schedule (): void {
    if (this.#scheduled || this.inFlight.running || !this.#owner.running()) return
    if (this.#queue.length === 0 && this.#signals.length === 0 && this.#stopRequest === undefined) return
    this.#scheduled = true
    queueMicrotask(this.#turn)
  }

  readonly #turn = (): void => {
    this.#scheduled = false
    if (!this.inFlight.running && this.#owner.running()) void this.#drain()
  }

  /** Handles messages until the mailbox is empty, the turn's time slice is spent, or the actor
   * stops running. Sync handlers run without an await; async ones are awaited one at a time. */
  async #drain (): Promise<void> {
    const owner = this.#owner
    const incarnation = owner.incarnation()
    const { behavior, ctx } = owner
    const queue = this.#queue
    const signals = this.#signals
    this.inFlight.begin()
    const started = performance.now()
    let handled = 0
    let untilClockCheck = MESSAGES_PER_CLOCK_CHECK
    let sliceSpent = false
    let current: M | undefined
    try {
      while (owner.running() && this.#stopRequest?.type !== 'normal') {
        let result: S | Promise<S>
        if (signals.length > 0) {
          current = undefined
          const signal = signals.shift() as Signal
          const onSignal = behavior.onSignal
          if (onSignal === undefined) continue
          result = onSignal(owner.state(), signal, ctx)
        } else if (queue.length > 0) {
          current = queue.shift() as M
          // (the traced call is a method of its own: a closure here would move the loop's
          // variables into a heap context, a cost to every message with tracing off too)
          result = this.#trace === undefined ? behavior.receive(owner.state(), current, ctx) : this.#receiveTraced(current)
        } else {
          break
        }
        const next = result instanceof Promise || isThenable(result) ? await result : result
        if (incarnation !== owner.incarnation()) return
        owner.setState(next)
        handled++
        if (--untilClockCheck === 0) {
          untilClockCheck = MESSAGES_PER_CLOCK_CHECK
          if (performance.now() - started >= TURN_SLICE_MS) {
            sliceSpent = true
            break
          }
        }
      }
    } catch (err) {
      if (incarnation !== owner.incarnation()) return
      this.#endTurn(handled)
      owner.threw(err, current)
      return
    }
    if (incarnation !== owner.incarnation()) return
    this.#endTurn(handled)
    this.#next(sliceSpent)
  }

  /** Handles `msg` in the trace it was sent in (MessageTrace.run). */
  #receiveTraced (msg: M): S | Promise<S> {
    const { behavior, ctx } = this.#owner
    return (this.#trace as MessageTrace).run(msg, this.#path, () => behavior.receive(this.#owner.state(), msg, ctx))
  }

  /** Counted once per turn rather than per message (the hot loop stays lean). */
  #endTurn (handled: number): void {
    this.#owner.handled(handled)
    this.inFlight.end()
  }

  /** After a turn: yield when its time slice is spent, honour a stop request, or go on. */
  #next (sliceSpent: boolean): void {
    if (!this.#owner.running()) return
    const waiting = this.#queue.length > 0 || this.#signals.length > 0
    if (sliceSpent && waiting) {
      // yield to I/O and to other actors, then go on
      this.#scheduled = true
      setImmediate(this.#turn)
      return
    }
    const request = this.#stopRequest
    if (request?.type === 'normal') {
      this.#stopRequest = undefined
      this.#owner.exit(request)
    } else if (request !== undefined && !waiting) {
      this.#stopRequest = undefined
      this.#owner.idle()
    } else {
      this.schedule()
    }
  }
}

function isThenable<T> (value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
