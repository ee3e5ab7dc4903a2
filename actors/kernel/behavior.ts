import type { ActorRef } from './actor-ref.ts'
import type { Logger } from './logger.ts'
import type { Refs } from './refs.ts'
import type { ReplyTo } from './reply-to.ts'
import type { TimerScheduler } from './timer-scheduler.ts'

export type RestartType = 'permanent' | 'transient' | 'temporary'
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one'

/** Why an actor ended (or is being restarted). */
export type ExitReason =
  | { readonly type: 'normal' }      // it stopped itself: ctx.stop()
  | { readonly type: 'idle' }        // idle passivation
  | { readonly type: 'shutdown' }    // its parent or the system stopped it
  | { readonly type: 'failed', readonly error: unknown }

export interface BackoffOptions {
  /** Delay before the first restart within the period, ms. @default 20 */
  min?: number
  /** Largest delay, ms. @default 2000 */
  max?: number
  /** Growth per restart within the period. @default 2 */
  factor?: number
}

/** How an actor supervises its children (OTP supervisor flags, plus backoff and scope). */
export interface SupervisionFlags {
  /** @default 'one-for-one' */
  strategy?: Strategy
  /** More than this many restarts within `period` and the supervisor gives up. @default 5 */
  intensity?: number
  /** @default 10000 (ms) */
  period?: number
  backoff?: BackoffOptions
  /**
   * 'supervisor' (OTP): restarts of all children count together, and exceeding the intensity stops
   * every child and fails the supervisor (escalation). 'child': each child has its own count, and
   * exceeding it stops only that child; used for entities, so one bad entity stays alone.
   * @default 'supervisor'
   */
  scope?: 'supervisor' | 'child'
}

/** Delivered to `onSignal`. */
export type Signal =
  | { readonly type: 'terminated', readonly ref: ActorRef<never>, readonly reason: ExitReason }

/**
 * An actor: a state S and a function from (state, message) to the next state. State is plain
 * data and is replaced, never mutated in place. Handlers may be async; the actor handles one
 * message at a time and the next one waits until the promise settles. A handler that throws
 * crashes the actor: the message is dropped (an ask it carried is rejected with the error) and
 * the parent's supervision decides what happens next.
 */
export interface Behavior<M, S = undefined> {
  /** Builds the state; runs at start and after every restart. Messages wait meanwhile. */
  readonly init?: (ctx: ActorContext<M>) => S | Promise<S>
  readonly receive: (state: S, msg: M, ctx: ActorContext<M>) => S | Promise<S>
  /** System signals (deathwatch). Without it, signals are ignored. */
  readonly onSignal?: (state: S, signal: Signal, ctx: ActorContext<M>) => S | Promise<S>
  /** Cleanup before a stop or a restart. Children and timers are already stopped. */
  readonly onStop?: (state: S, reason: ExitReason, ctx: ActorContext<M>) => void | Promise<void>
  /** How this actor supervises the children it spawns. */
  readonly supervision?: SupervisionFlags
  /**
   * Checks a message another node sent to this actor, before its mailbox: throw (an
   * InvalidMessageError) to refuse it; the sender's ask is failed with the error and the actor
   * never sees the message. For an actor whose messages from peers are a few types (a gateway
   * takes only pushes), while others carry live objects only its own node can send. Without it,
   * every message is taken and the actor checks in `receive`.
   */
  readonly checkPeer?: (msg: unknown) => void
}

export interface SpawnOptions {
  /** Unique among siblings; the last path segment. @default a generated `$<n>` */
  name?: string
  /** Mailbox capacity. @default 1024 */
  mailbox?: number
  /** When the parent restarts it. @default 'transient' (OTP child specs default to 'permanent') */
  restart?: RestartType
  /** How long a stop waits for an in-flight handler, ms. @default 5000 */
  shutdown?: number
  /** Stop the actor (reason 'idle') after this many ms without a message. @default never */
  idleTimeout?: number
  /** Label for metrics and listings. @default 'actor' */
  kind?: string
}

/** What a handler can do besides computing the next state. */
export interface ActorContext<M> extends Refs {
  readonly self: ActorRef<M>
  readonly log: Logger
  /** Keyed single and periodic self-messages; all are cancelled on stop and restart. */
  readonly timers: TimerScheduler<M>
  spawn<C, CS> (behavior: Behavior<C, CS>, options?: SpawnOptions): ActorRef<C>
  /** Spawns and waits until the child's init has finished (or failed; supervision handles that). */
  startChild<C, CS> (behavior: Behavior<C, CS>, options?: SpawnOptions): Promise<ActorRef<C>>
  children (): ReadonlyArray<ActorRef<unknown>>
  /** Without an argument: stop this actor after the current message (reason 'normal').
   * With a child: stop that child (and its children); it is not restarted. */
  stop (child?: ActorRef<never>): Promise<void>
  /** Deliver a `terminated` signal when `ref` stops for good (restarts do not count). */
  watch (ref: ActorRef<never>): void
  /** Deliver `msg` (as an ordinary message) when `ref` stops for good. */
  watchWith (ref: ActorRef<never>, msg: M): void
  unwatch (ref: ActorRef<never>): void
  reply<R> (to: ReplyTo<R>, value: R): void
  /** Reject the ask waiting at `to`. */
  fail (to: ReplyTo<unknown>, error: unknown): void
  /** Crash this actor as if a handler had thrown; for errors noticed outside a handler. */
  crash (error: unknown): void
}
