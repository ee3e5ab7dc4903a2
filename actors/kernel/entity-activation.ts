import { ActorStoppedError, JournalEditError, JournalGapError, JournalWriteError, isSuperseded } from './errors.ts'
import { replyToOf } from './reply-to.ts'
import { describe } from '../../protocols/index.ts'
import { assertPlainData } from './plain-data.ts'
import type { ActorCell } from './actor-cell.ts'
import type { Behavior } from './behavior.ts'
import { LiveEntityContext, snapshotInterval } from './entity-context.ts'
import type { ActivationDeps, ContextActivation, Live } from './entity-context.ts'
import type { EntityRef } from './entity-ref.ts'
import type { EntityContext, EntityType } from './entity-type.ts'
import type { EntityJournal, Journal, JournalRecord } from './journal.ts'

export type { ActivationDeps } from './entity-context.ts'

/** An entity's state as a live move's hand-off carries it: every event up to `seq` is durable, or in
 * flight in the journal handed over with it. */
export interface Captured<S = unknown> {
  readonly state: S
  readonly seq: number
  /** The seq of its last snapshot (the next is due snapshotEvery events after it). */
  readonly snapshotSeq: number
  /** Its journal's hold, handed over (EntityJournal.handOver): the new owner goes on from it
   * instead of taking the journal anew. Undefined: it takes it anew. */
  readonly journal?: unknown
}

/** Why a journal still being taken stops waiting: the entity left (EntityActivation.leave). */
const LEFT = new Error('the entity left this node')

/** The kernel's own message to an entity: end the work in progress now (EntityType.interrupt).
 * An object no other code can build, delivered only on this node. */
export const INTERRUPT: unknown = Object.freeze({ type: '$interrupt' })

/**
 * One activation of one entity: what outlives a crash-restart of the actor behind it. Its writes
 * are tracked so that a restart, or the next activation after passivation, recovers only once
 * every earlier write has landed (recovery must never read a journal that is still growing).
 */
export class EntityActivation<M> implements ContextActivation {
  readonly id: string
  readonly key: string
  /** Settles when the previous activation of the same entity has stopped for good. */
  readonly previous: Promise<void>
  readonly terminated: Promise<void>
  cell!: ActorCell<M, unknown>
  /** EntityType.createVolatile's value: per activation, kept across crash-restarts. */
  volatile: unknown
  /** Set by the live incarnation: may the entity passivate now? */
  canPassivate: () => boolean = () => true
  /** Set by the live incarnation: has it work in progress that must end here (EntityType.busy)? */
  busy: () => boolean = () => false
  /** It leaves this node (its owner is now another node, or the node stops): it stops once its
   * mailbox is empty, whatever canPassivate says (set by leave). */
  leaving = false
  /** Set on a live migration's new owner: the state of the hand-off (its seq durable), used by the
   * first incarnation instead of reading the snapshot and the journal back. */
  warm: Captured | undefined
  /** When a live migration brought it here (ms since the epoch), or undefined. */
  adoptedAt: number | undefined
  /** Set by a live migration: the last incarnation records what it hands over as it stops. */
  capture = false
  /** What the stopped incarnation leaves for the hand-off (capture): its state, all of it durable; undefined
   * when a write failed or it never started. */
  captured: Captured | undefined
  /** The journal the live incarnation holds (each incarnation opens its own, with a new epoch). */
  journal: EntityJournal | undefined
  /** An incarnation is taking its journal (Journal.open has not settled): nothing it holds is
   * durable or served yet, so a live move of the entity here may take its place (LiveMove.adopt). */
  taking = false
  #writes: Promise<void> = Promise.resolve()
  #resolveTerminated!: () => void
  readonly #taking = new AbortController()

  constructor (id: string, key: string, previous: Promise<void>) {
    this.id = id
    this.key = key
    this.previous = previous
    this.terminated = new Promise((resolve) => { this.#resolveTerminated = resolve })
  }

  /** Settles once every write issued so far has settled (never rejects). */
  get writes (): Promise<void> { return this.#writes }

  track (write: Promise<unknown>): void {
    this.#writes = Promise.allSettled([this.#writes, write]).then(noop)
  }

  markTerminated (): void { this.#resolveTerminated() }

  /** Passivate once the mailbox is empty (ctx.passivate). */
  requestIdleStop (): void { this.cell.requestIdleStop() }

  /** Its owner is now another node (or this node stops): it stops once its mailbox is empty, and a
   * journal still being taken for it stops waiting for it (Journal.open's signal: what waits in its
   * mailbox is then refused as superseded, and sent again to the owner placement names now). */
  leave (): void {
    this.leaving = true
    // (a reason made once: abort() with none makes a DOMException, its stack included, every time)
    this.#taking.abort(LEFT)
  }

  /** Aborted by leave: what Journal.open is given. */
  get leaveSignal (): AbortSignal { return this.#taking.signal }
}

export function entityBehavior<M, S, E, V> (def: EntityType<M, S, E, V>, activation: EntityActivation<M>,
  self: EntityRef<M>, deps: ActivationDeps): Behavior<M, Live<M, S, E, V>> {
  const handle = (live: Live<M, S, E, V>, msg: M | typeof INTERRUPT): Live<M, S, E, V> | Promise<Live<M, S, E, V>> => {
    const result = msg === INTERRUPT ? def.interrupt?.(live.ctx) : def.receive(live.ctx, msg as M)
    const after = (): Live<M, S, E, V> => {
      // leaving, it waited for busy work: it asks again after each message
      if (activation.leaving) activation.cell.requestIdleStop()
      deps.handled?.()
      return live
    }
    return isThenable(result) ? result.then(after) : after()
  }
  return {
    async init (actorCtx) {
      await activation.previous
      await activation.writes
      // the previous incarnation's hold (after a crash) ends before this one takes the journal
      activation.journal?.close()
      // a live move's state and journal hold serve the first incarnation only (a restart recovers)
      const warm = activation.warm
      activation.warm = undefined
      activation.taking = true
      let journal: EntityJournal
      try {
        journal = await deps.journal.open(activation.id, warm?.journal, activation.leaveSignal)
      } finally {
        activation.taking = false
      }
      activation.journal = journal
      let recovered
      try {
        recovered = warm !== undefined && journal.head >= warm.seq
          ? await resume(def, activation, journal, warm as Captured<S>)
          : await recover(def, activation, journal, deps)
      } catch (err) {
        journal.close()
        throw err
      }
      const live = { ...recovered, journal, durableSeq: recovered.seq, snapshotAfter: snapshotInterval(def, recovered.state), alive: true } as Live<M, S, E, V>
      // another activation took the entity, or its replicas stopped answering: this one must not
      // serve on (its state may be ahead of what is durable); the restart takes the journal again
      journal.onFailed((err) => { if (live.alive) actorCtx.crash(err) })
      live.ctx = new LiveEntityContext(def, activation, self, deps, live, actorCtx)
      const { canPassivate, busy } = def
      activation.canPassivate = canPassivate === undefined ? () => true : () => canPassivate.call(def, live.ctx)
      activation.busy = busy === undefined ? () => false : () => busy.call(def, live.ctx)
      return live
    },
    receive (live, msg) {
      // only a current owner answers (docs/replication.md, "Leases"): a hold whose lease lapsed is
      // confirmed with the replicas before the message sees the state; a newer owner found stops
      // this activation (the asker resends, reaching it), too few replicas refuse this message only
      const { journal } = live
      if (msg !== INTERRUPT && journal.confirm !== undefined && journal.current?.() === false) {
        return journal.confirm().then(() => handle(live, msg), (err: unknown) => {
          if (isSuperseded(err)) throw err
          const replyTo = replyToOf(msg)
          if (replyTo !== undefined) live.ctx.fail(replyTo, err)
          return live
        })
      }
      return handle(live, msg)
    },
    async onStop (live) {
      live.alive = false
      // a live migration hands the journal over at once when it can, the writes in flight with it
      // (the new owner's journal carries them on, and their callers hear from this one); otherwise
      // the state moves only once every write of it is durable
      let journal = activation.capture ? live.journal.handOver?.() : undefined
      if (journal === undefined) await activation.writes
      if (activation.capture && (journal !== undefined || live.durableSeq === live.seq)) {
        journal ??= live.journal.handOver?.()
        activation.captured = { state: live.state, seq: live.seq, snapshotSeq: live.snapshotSeq, ...(journal !== undefined && { journal }) }
      }
      live.journal.close()
      if (activation.journal === live.journal) activation.journal = undefined
    }
  }
}

/**
 * The state of a live move's hand-off (durable up to `warm.seq`), plus whatever the journal
 * holds past it (nothing, unless the old owner's last write landed after it stopped reading):
 * the entity serves at once, without reading its snapshot back.
 */
async function resume<M, S, E, V> (def: EntityType<M, S, E, V>, activation: EntityActivation<M>, journal: EntityJournal, warm: Captured<S>):
Promise<{ state: S, seq: number, snapshotSeq: number }> {
  let { state, seq } = warm
  if (journal.head > seq) {
    for await (const record of journal.replay(seq + 1)) {
      if (record.seq !== seq + 1) throw new JournalGapError(activation.id, seq + 1, record.seq)
      state = def.applyEvent(state, record.event as E, record.seq)
      seq = record.seq
    }
  }
  return { state, seq, snapshotSeq: Math.min(warm.snapshotSeq, warm.seq) }
}

async function recover<M, S, E, V> (def: EntityType<M, S, E, V>, activation: EntityActivation<M>, journal: EntityJournal, deps: ActivationDeps):
Promise<{ state: S, seq: number, snapshotSeq: number }> {
  const id = activation.id
  let state = def.initialState(activation.key)
  let seq = 0
  let snapshotSeq = 0
  let snapshot
  try {
    snapshot = await journal.loadSnapshot()
  } catch (err) {
    // events are never deleted, so a bad snapshot costs a longer replay, not data
    if ((err as Error | undefined)?.name !== 'CorruptRecordError') throw err
    deps.log.warn({ entity: id, err }, `snapshot of ${id} is corrupt (${describe(err)}); replaying its whole journal`)
  }
  if (snapshot !== undefined) {
    state = snapshot.state as S
    seq = snapshotSeq = snapshot.seq
  }
  for await (const record of journal.replay(seq + 1)) {
    if (record.seq !== seq + 1) throw new JournalGapError(id, seq + 1, record.seq)
    state = def.applyEvent(state, record.event as E, record.seq)
    seq = record.seq
  }
  return { state, seq, snapshotSeq }
}

function isThenable (value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

function noop (): void {}
