import type { EntityRef } from './entity-ref.ts'
import type { EntityTypeKey } from './entity-type-key.ts'
import type { JournalRecord } from './journal.ts'
import type { Logger } from './logger.ts'
import type { NodeRole } from './node-role.ts'
import type { Refs } from './refs.ts'
import type { ReplyTo } from './reply-to.ts'
import type { TimerScheduler } from './timer-scheduler.ts'

/**
 * A kind of entity (virtual actor), e.g. `room` or `agent`: addressed by `type/key`, activated
 * on its first message, passivated when idle, its state rebuilt from its journal on activation.
 *
 * State changes only through events: `receive` decides and calls `ctx.persist(event)`; the
 * kernel applies the event with `applyEvent` (a pure function) and journals it. Recovery is the
 * latest snapshot plus `applyEvent` over the later events, so it reproduces the live state.
 * Messages, events and state are plain data (see assertPlainData).
 */
export interface EntityType<M, S, E, V = undefined> extends EntityTypeKey<M> {
  /** The node role this entity needs (placement puts it only on nodes holding the role). */
  readonly role: NodeRole
  initialState (key: string): S
  /** `seq` is the event's own (1, 2, 3, ... per entity): the same live and in recovery. */
  applyEvent (state: S, event: E, seq: number): S
  receive (ctx: EntityContext<M, S, E, V>, msg: M): void | Promise<void>
  /**
   * Checks that a message is one of M as sent, field by field (types, required strings not empty,
   * lengths, reply addresses well formed, a known `type`), and throws InvalidMessageError (kind
   * invalid) naming the first bad field otherwise. The kernel runs it on every message that another
   * node sends (and on local ones too in strict mode), before the entity sees it: a refused message
   * is answered with the error when it has a reply address, never journaled, and never crashes or
   * restarts the entity. It must not throw anything else, and every message it passes must be one
   * `receive` handles. Fields it does not know are ignored (a newer peer may send more; `receive`
   * never reads them). @default every message passes (for types that trust their senders)
   */
  check? (msg: unknown): void
  /**
   * Per-activation state that is not journaled and not plain data (e.g. the gateways subscribed to
   * a room). Created at activation; it survives crash-restarts of the activation and is gone after
   * passivation.
   */
  createVolatile? (key: string): V
  /**
   * What of the volatile state a live migration carries to the entity's new owner, as plain data
   * (e.g. a room's subscribed gateways, by address). Called once the entity is quiet (its mailbox
   * empty, its writes durable, not busy). @default nothing is carried: the new owner creates it
   */
  exportVolatile? (volatile: V): unknown
  /**
   * Rebuilds the volatile state on the new owner from what exportVolatile made. The data came off
   * the wire: check it, and throw on anything malformed (the new owner then creates a fresh one
   * with createVolatile, and logs why). @default createVolatile
   */
  importVolatile? (key: string, data: unknown, refs: Refs): V
  /**
   * This activation stopped because a newer owner took the entity (its journal was fenced): what it
   * should tell those who rely on its volatile state, e.g. a room tells its subscribed gateways to
   * subscribe again (they then reach the new owner, which has none of its subscribers). Called once,
   * after the activation stopped; it must not throw (what it throws is logged and dropped).
   */
  superseded? (volatile: V, key: string): void
  /** Asked before idle or requested passivation; false keeps the entity active (e.g. while it has
   * subscribers). Relinquishing it (its owner changed) does not ask it: see `busy`. @default always true */
  canPassivate? (ctx: EntityContext<M, S, E, V>): boolean
  /**
   * True while the entity has work in progress that outlives the message that started it and that
   * another activation could not take over (an agent generating an answer, questions waiting for
   * it). A move (relinquished, or released for a live move) waits for it to end before the entity
   * stops here, and so does the node's stop, for at most its shutdown timeout; then `interrupt` is
   * called. Read after every message.
   * @default never busy
   */
  busy? (ctx: EntityContext<M, S, E, V>): boolean
  /**
   * The node cannot wait for the work in progress any longer (it is stopping): end it now, keeping
   * what can be kept (an agent journals its partial answer and answers its asker). Runs as a
   * message of the entity, after those already in its mailbox.
   */
  interrupt? (ctx: EntityContext<M, S, E, V>): void | Promise<void>
  /** Snapshot after this many events; a function of the state for a state whose snapshot grows
   * (snapshot after as many events as the state has items, and a snapshot's cost per event stays
   * the same). @default 100 */
  readonly snapshotEvery?: number | ((state: S) => number)
  /** Passivate after this many ms without a message. @default 120000 */
  readonly idleTimeout?: number
  /** @default the system's mailbox capacity */
  readonly mailbox?: number
}

export interface EntityContext<M, S, E, V = undefined> extends Refs {
  readonly type: string
  readonly key: string
  /** `type/key` */
  readonly id: string
  /** The state after every event persisted so far (including writes still in flight). */
  readonly state: S
  /** Seq of the last persisted event (0 for none), including writes still in flight. */
  readonly seq: number
  /** Seq of the last event known to be durable: `seq` minus the writes still in flight. */
  readonly durableSeq: number
  /** See EntityType.createVolatile; undefined when the type has none. */
  readonly volatile: V
  /** This entity; what it tells itself reaches this activation while it lives. */
  readonly self: EntityRef<M>
  readonly log: Logger
  readonly timers: TimerScheduler<M>
  /**
   * Applies the event(s) to the state at once and journals them. The promise resolves when they
   * are durable: acknowledge a client only after awaiting it. Not awaiting lets the next message
   * be handled meanwhile (writes of one entity stay in order); a failed write crashes the
   * entity, which then recovers from what is on disk.
   */
  persist (events: E | readonly E[]): Promise<void>
  /** Reads back durable events of this entity (e.g. for history), oldest first, from
   * max(from, floor). */
  events (from: number, limit: number): Promise<Array<JournalRecord<E>>>
  /**
   * Replaces durable records (each seq in [floor, durableSeq]) with these events, a higher
   * revision, keeping seq and epoch; resolves once every replica up holds them (W at least; one
   * that stays behind or down takes them by anti-entropy).
   * The record's old event is gone from those replicas' stores when it resolves. The state is not
   * changed (replay applies the new events: keep `applyEvent` giving the same state for both, or
   * keep what changes in the state too). JournalEditError when a seq is out of range.
   */
  rewrite (records: ReadonlyArray<{ seq: number, event: E }>): Promise<void>
  /**
   * Drops every record below `before` (≤ durableSeq + 1) on every replica, once a snapshot of the
   * state (taken now, saved with the trim) covers them; resolves once W replicas took the floor.
   * A `before` at or below the floor does nothing.
   */
  trim (before: number): Promise<void>
  /** The first seq the journal still holds: 1 until trimmed. */
  readonly floor: number
  /** The seq up to which node `node`'s copy of the journal (its replica) is known to hold the
   * durable records from the floor on, each as written or at another revision where a rewrite has
   * not reached it yet (EntityJournal.heldBy); 0 where none is known, and at most `durableSeq`. */
  heldBy (node: string): number
  reply<R> (to: ReplyTo<R>, value: R): void
  fail (to: ReplyTo<unknown>, error: unknown): void
  /** Stop this entity once its mailbox is empty; its next message activates it again. */
  passivate (): void
  /** Crash as if a handler had thrown (errors noticed outside a handler). */
  crash (error: unknown): void
}
