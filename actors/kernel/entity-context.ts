import { DEFAULT_SNAPSHOT_EVERY } from './constants.ts'
import { ActorStoppedError, JournalEditError, JournalWriteError } from './errors.ts'
import { describe } from '../../protocols/index.ts'
import { assertPlainData } from './plain-data.ts'
import type { ActorAddress, ActorRef } from './actor-ref.ts'
import type { ActorContext } from './behavior.ts'
import type { EntityRef } from './entity-ref.ts'
import type { EntityContext, EntityType } from './entity-type.ts'
import type { EntityTypeKey } from './entity-type-key.ts'
import type { EntityJournal, Journal, JournalRecord } from './journal.ts'
import type { Logger } from './logger.ts'
import type { Refs } from './refs.ts'
import type { ReplyTo } from './reply-to.ts'
import type { TimerScheduler } from './timer-scheduler.ts'

export interface ActivationDeps {
  readonly journal: Journal
  readonly strict: boolean
  readonly log: Logger
  /** What the entity reaches beyond itself. */
  readonly refs: Refs
  /** Called after every message the entity handled (the host watches for the end of busy work). */
  readonly handled?: () => void
}

/** What an entity's context needs of its activation (EntityActivation). */
export interface ContextActivation {
  readonly id: string
  readonly key: string
  readonly volatile: unknown
  /** Settles once every write issued so far has settled (never rejects). */
  readonly writes: Promise<void>
  track (write: Promise<unknown>): void
  /** Passivate once the mailbox is empty (ctx.passivate). */
  requestIdleStop (): void
}

/** The actor state of an activation. Kernel-internal and mutable; the entity's own state S is
 * an immutable value replaced by `applyEvent`. One per incarnation of the actor. */
export interface Live<M, S, E, V> {
  journal: EntityJournal
  state: S
  seq: number
  durableSeq: number
  snapshotSeq: number
  /** Events after snapshotSeq before the next snapshot (snapshotEvery, or its function of the
   * state at the last snapshot). */
  snapshotAfter: number
  alive: boolean
  ctx: EntityContext<M, S, E, V>
}

/** Events until the next snapshot, from the state now (at a snapshot, or recovered): snapshotEvery,
 * or what its function says (the default when it says anything but a positive integer). */
export function snapshotInterval<M, S, E, V> (def: EntityType<M, S, E, V>, state: S): number {
  const every = def.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY
  if (typeof every === 'number') return every
  const n = every(state)
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_SNAPSHOT_EVERY
}

/**
 * The context an entity's handlers get: one object per incarnation whose methods sit on the class,
 * not a closure per method per activation (an active entity keeps its context as long as it
 * lives, and each closure is more for the collector to copy; docs/performance.md).
 */
export class LiveEntityContext<M, S, E, V> implements EntityContext<M, S, E, V> {
  readonly type: string
  readonly key: string
  readonly id: string
  readonly volatile: V
  readonly self: EntityRef<M>
  readonly node: string
  readonly log: Logger
  readonly timers: TimerScheduler<M>
  readonly #def: EntityType<M, S, E, V>
  readonly #activation: ContextActivation
  readonly #deps: ActivationDeps
  readonly #live: Live<M, S, E, V>
  readonly #actor: ActorContext<M>

  constructor (def: EntityType<M, S, E, V>, activation: ContextActivation, self: EntityRef<M>, deps: ActivationDeps, live: Live<M, S, E, V>, actor: ActorContext<M>) {
    this.type = def.type
    this.key = activation.key
    this.id = activation.id
    this.volatile = activation.volatile as V
    this.self = self
    this.node = deps.refs.node
    this.log = deps.log
    this.timers = actor.timers
    this.#def = def
    this.#activation = activation
    this.#deps = deps
    this.#live = live
    this.#actor = actor
  }

  get state (): S { return this.#live.state }
  get seq (): number { return this.#live.seq }
  get durableSeq (): number { return this.#live.durableSeq }
  get floor (): number { return this.#live.journal.floor ?? 1 }

  entity<T> (type: EntityTypeKey<T>, entityKey: string): EntityRef<T> { return this.#deps.refs.entity(type, entityKey) }
  actorAt<T> (address: ActorAddress): ActorRef<T> { return this.#deps.refs.actorAt(address) }
  lookup<T = unknown> (path: string): ActorRef<T> | undefined { return this.#deps.refs.lookup(path) }

  persist (input: E | readonly E[]): Promise<void> {
    const live = this.#live
    const { id } = this
    const def = this.#def
    const deps = this.#deps
    if (!live.alive) return Promise.reject(new ActorStoppedError(id))
    const events = (Array.isArray(input) ? input : [input]) as readonly E[]
    if (events.length === 0) return Promise.resolve()
    if (deps.strict) events.forEach((event, i) => { assertPlainData(event, `event[${i}] of ${id}`) })
    let state = live.state
    let seq = live.seq
    const records: Array<JournalRecord<E>> = events.map((event) => {
      state = def.applyEvent(state, event, ++seq)
      return { seq, event }
    })
    if (deps.strict) assertPlainData(state, `state of ${id}`)
    live.state = state
    live.seq = seq
    const write = live.journal.append(records)
    this.#activation.track(write)
    // registered first, so it runs before the caller's own callbacks on the returned promise
    write.then(() => { if (live.durableSeq < seq) live.durableSeq = seq }, noop)
    write.catch((err: unknown) => {
      // the state in memory is ahead of the disk: crash, and recover from the disk
      if (live.alive) this.#actor.crash(new JournalWriteError(id, err))
    })
    if (seq - live.snapshotSeq >= live.snapshotAfter) {
      live.snapshotSeq = seq
      live.snapshotAfter = snapshotInterval(def, state)
      const snapshot = { seq, state }
      // only after the events it covers are durable (see EntityJournal.saveSnapshot)
      const saved = write.then(() => live.journal.saveSnapshot(snapshot)).catch((err: unknown) => {
        this.log.warn({ entity: id, err }, `snapshot of ${id} at seq ${seq} failed (${describe(err)}); recovery will replay more events`)
      })
      this.#activation.track(saved)
    }
    const durable = write.catch((err: unknown) => { throw new JournalWriteError(id, err) })
    // a caller that does not await must not turn a failed write into an unhandled rejection
    // (that would take the process down); the crash above already handles it
    durable.catch(noop)
    return durable
  }

  async events (from: number, limit: number): Promise<Array<JournalRecord<E>>> {
    const journal = this.#live.journal
    return await journal.read({ from: Math.max(from, journal.floor ?? 1), limit }) as Array<JournalRecord<E>>
  }

  heldBy (node: string): number { return Math.min(this.#live.journal.heldBy?.(node) ?? 0, this.#live.durableSeq) }

  /** ctx.rewrite: each seq durable and not trimmed, the events plain data. */
  async rewrite (records: ReadonlyArray<{ seq: number, event: E }>): Promise<void> {
    const live = this.#live
    const { id } = this
    if (!live.alive) throw new ActorStoppedError(id)
    const journal = live.journal
    if (journal.rewrite === undefined) throw new JournalEditError(id, 'its journal cannot rewrite records')
    const floor = journal.floor ?? 1
    for (const [i, r] of records.entries()) {
      if (!Number.isSafeInteger(r.seq) || r.seq < floor || r.seq > live.durableSeq) {
        throw new JournalEditError(id, `a rewrite's seq must be durable and not trimmed (${floor} to ${live.durableSeq}), got ${String(r.seq)}`)
      }
      if (this.#deps.strict) assertPlainData(r.event, `records[${i}].event of ${id}`)
    }
    if (records.length === 0) return
    await journal.rewrite(records.map((r) => ({ seq: r.seq, event: r.event })))
  }

  /** ctx.trim: a snapshot of the state now, saved with the trim once every event in it is durable. */
  async trim (before: number): Promise<void> {
    const live = this.#live
    const { id } = this
    if (!live.alive) throw new ActorStoppedError(id)
    const journal = live.journal
    if (journal.trim === undefined) throw new JournalEditError(id, 'its journal cannot trim')
    if (!Number.isSafeInteger(before) || before < 1 || before > live.durableSeq + 1) {
      throw new JournalEditError(id, `a trim must keep what is not durable (before from 1 to ${live.durableSeq + 1}), got ${String(before)}`)
    }
    if (before <= (journal.floor ?? 1)) return
    const snapshot = { seq: live.seq, state: live.state }
    // (the state now may hold events still in flight: the snapshot waits for them)
    await this.#activation.writes
    if (live.durableSeq < snapshot.seq) throw new JournalEditError(id, `its events up to seq ${snapshot.seq} did not become durable`)
    await journal.trim(before, snapshot)
    // the trim saved a snapshot: the next one is due an interval after it
    if (snapshot.seq > live.snapshotSeq) live.snapshotSeq = snapshot.seq
  }

  reply<R> (to: ReplyTo<R>, value: R): void { this.#actor.reply(to, value) }
  fail (to: ReplyTo<unknown>, error: unknown): void { this.#actor.fail(to, error) }
  passivate (): void { this.#activation.requestIdleStop() }
  crash (error: unknown): void { if (this.#live.alive) this.#actor.crash(error) }
}

function noop (): void {}
