import type { Spans } from '../tracing/index.ts'
import type { ActorSystem, Behavior, RemotingPort } from '../../actors/index.ts'
import { clip, describe } from '../../protocols/index.ts'
import type { PinTable } from '../mesh/index.ts'
import { ServiceFailures } from '../services/index.ts'
import { AdminPins } from './admin-pins.ts'
import { MISPLACED_RECHECK_MS } from './constants.ts'
import { moveEntity } from './entity-move.ts'
import { MoveRefusedError } from './errors.ts'
import { migrationActor } from './migration-actor.ts'
import type { LeaveHandle } from './migration-actor.ts'
import { MIGRATION_PATH, checkMoveResult } from './migration-protocol.ts'
import type { LeaveMode, LeaveStatus, MigrationMsg, MoveOutcome, MoveResult, MoveTrigger } from './migration-protocol.ts'
import { claimAskMs } from './move-bounds.ts'
import { MoveLimit } from './move-limit.ts'
import type { OwnerView } from './owner-view.ts'

export interface MigratorOptions {
  readonly system: ActorSystem
  readonly port: RemotingPort
  readonly placement: OwnerView
  /** Whether a member is alive (not down): a down one holds nothing to hand over. */
  readonly live: (peer: string) => boolean
  /** How long a move waits for an entity's work in progress (an agent's answer) before it
   * interrupts it (config migration-timeout). */
  readonly busyMs: number
  /** After the interrupt, how long the work gets to end cleanly. */
  readonly graceMs: number
  /** Moves at once, at most (rebalances and drains queue the rest; MoveLimit keeps fewer while
   * pauses grow). */
  readonly concurrency: number
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
  /** Every move this node made as old owner, as it ended (metrics). */
  readonly onMove?: (result: MoveResult, trigger: MoveTrigger) => void
  /** Resolves true once `peer` owns entities of `role` in this node's view, false after `ms` or at
   * once when it cannot (a member that has just come up owns them once it settled). Absent: it
   * does or it does not now. */
  readonly awaitCandidate?: (peer: string, role: string, ms: number) => Promise<boolean>
  /** The entities an admin pinned to this node (absent: admin migrations are refused). */
  readonly pins?: PinTable
  /** The pins changed: recompute placement and tell the cluster (the node's member record). */
  readonly announce?: () => void
  /** An admin asked this node to leave (drain or decommission): starts it once, says where it
   * stands (absent: refused). */
  readonly leave?: (mode: LeaveMode) => LeaveStatus
  /** Where this node's leave stands, without starting one (undefined: it is not leaving). */
  readonly leaving?: () => LeaveStatus | undefined
  /** Work to do for an entity before it is released to `to`, outside its pause (an agent's KV
   * cache is sent ahead); bounded by PRE_MOVE_MS, and a failure does not stop the move. */
  readonly beforeMove?: (type: string, key: string, to: string) => Promise<void>
  /** Where the pin sweep's failures are counted (one per node, shared by every service).
   * @default a counter of its own */
  readonly failures?: ServiceFailures
  /** Each move is a span (EntityMoveDeps.spans). @default none */
  readonly spans?: Spans
}

/** What the metrics and the drain report read. */
export interface MigrationStats {
  /** moves by trigger and outcome, `${trigger}/${outcome}` */
  readonly moves: Map<string, number>
  /** Queued moves (a drain's, a rebalance's) that ended, by the trigger they were queued with,
   * whatever ended them: the move itself, the new owner's claim that took the entity first, or a
   * view that no longer needed it (the entity is where placement wants it in every case);
   * `failed`: those whose move failed. What a job of that trigger reports. */
  readonly queued: Map<MoveTrigger, { ended: number, failed: number }>
}

/**
 * Live migration on one node (ARCHITECTURE: Migration). As old owner it moves entities away:
 * those placement gives to another node after a view change (a drain, a join: `rebalance`), as
 * many at once as keep their pauses short (MoveLimit, at most `concurrency`). As new owner it takes
 * them (`adopt`), and before it activates an entity from its journal it asks the entity's previous
 * owner, if one is alive, to hand it over first (`claim`): so a message that reaches the new owner
 * before the move does waits for it instead of fencing a live activation.
 */
export class Migrator {
  readonly stats: MigrationStats = { moves: new Map(), queued: new Map() }
  readonly #opts: MigratorOptions
  /** Moves under way, by entity id. */
  readonly #moving = new Map<string, Promise<MoveResult>>()
  /** Rebalance moves waiting for a slot, by entity id. */
  readonly #queue = new Map<string, { readonly type: string, readonly key: string, readonly trigger: MoveTrigger }>()
  #running = 0
  readonly #limit: MoveLimit
  /** Moves ended so far (idle watches it for progress). */
  #ended = 0
  readonly #idleWaiters = new Set<() => void>()
  #stopped = false
  /** The pins of entities an admin moved here (absent: admin migrations are refused). */
  readonly #adminPins: AdminPins | undefined
  /** Rechecks of adopted entities this node's view gives to another node (MISPLACED_RECHECK_MS). */
  readonly #rechecks = new Map<string, ReturnType<typeof setTimeout>>()

  constructor (opts: MigratorOptions) {
    this.#opts = opts
    this.#limit = new MoveLimit(opts.concurrency)
    this.#adminPins = opts.pins === undefined
      ? undefined
      : new AdminPins({
        ...opts,
        pins: opts.pins,
        moving: (id) => this.#moving.has(id),
        failures: opts.failures ?? new ServiceFailures()
      })
  }

  /** Queued moves this node runs at once now (MoveLimit: at most migration-concurrency). */
  get concurrency (): number { return this.#limit.current() }

  /** The system actor other nodes' migrators talk to (migration-actor.ts); `handle`, the node's
   * leave, takes the place of the `leave` and `leaving` options. */
  behavior (handle?: LeaveHandle): Behavior<MigrationMsg, undefined> {
    const leave = handle === undefined ? this.#opts.leave : (mode: LeaveMode) => handle.request(mode)
    const leaving = handle === undefined ? this.#opts.leaving : () => handle.mode === undefined ? undefined : handle.status()
    return migrationActor({
      port: this.#opts.port,
      placement: this.#opts.placement,
      log: this.#opts.log,
      move: async (type, key, to, trigger) => await this.move(type, key, to, trigger),
      migrateHere: async (type, key) => await this.migrateHere(type, key),
      adopted: (type, key) => { this.#recheckPlacement(type, key) },
      ...(leave !== undefined && { leave }),
      ...(leaving !== undefined && { leaving })
    })
  }

  /** Starts the sweep of pins whose entities are no longer active here. */
  start (): void {
    this.#adminPins?.start()
  }

  /**
   * An admin moves `type/key` to this node: it is pinned here (every member's placement then
   * gives it to this node while it stays active here) and taken from its owner now, live. Never
   * rejects for a move that went wrong (the result says how it ended); MoveRefusedError or
   * PinLimitError when this node may not take it.
   */
  async migrateHere (type: string, key: string): Promise<MoveResult> {
    if (this.#adminPins !== undefined) return await this.#adminPins.migrateHere(type, key, this.#stopped)
    const entity = `${type}/${key}`
    if (this.#opts.port.roleOf(type) === undefined) throw new MoveRefusedError(entity, `there is no entity type ${clip(type, 32)}`)
    throw new MoveRefusedError(entity, 'this node is stopping')
  }

  /** Drops the pins of entities that are no longer active here (after their grace); true when
   * some were dropped (placement and the cluster were told). */
  sweepPins (now = Date.now()): boolean {
    return this.#adminPins?.sweep(now) ?? false
  }

  /**
   * Placement changed: every entity active here that is now another node's is queued to move
   * there. A queued move looks again when its turn comes (a view that changed back moves nothing).
   * Returns how many were queued.
   */
  rebalance (trigger: MoveTrigger): number {
    const { port } = this.#opts
    let queued = 0
    for (const [type, key] of port.activeEntities()) {
      const owner = this.#ownerOf(type, key)
      if (owner === undefined || owner === port.node) continue
      const id = `${type}/${key}`
      if (this.#queue.has(id) || this.#moving.has(id)) continue
      this.#queue.set(id, { type, key, trigger })
      queued++
    }
    this.#pump()
    return queued
  }

  /**
   * Moves `type/key` from this node to `to` now (a move of it under way is joined instead). Never
   * rejects: the result says how it ended.
   */
  move (type: string, key: string, to: string, trigger: MoveTrigger): Promise<MoveResult> {
    const id = `${type}/${key}`
    const queued = this.#queue.get(id)
    this.#queue.delete(id)
    const under = this.#moving.get(id)
    if (under !== undefined) {
      if (queued !== undefined) this.#settleQueued(queued.trigger, under)
      return under
    }
    const { system, port, live, busyMs, graceMs, beforeMove, log } = this.#opts
    const ended = (result: MoveResult, why: MoveTrigger, started: number): void => {
      this.#count(why, result.outcome)
      if (result.outcome === 'moved') this.#limit.observe(result.pauseMs, started)
      this.#opts.onMove?.(result, why)
    }
    const spans = this.#opts.spans
    const moving = moveEntity({ system, port, live, busyMs, graceMs, ended, log, ...(beforeMove !== undefined && { beforeMove }), ...(spans !== undefined && { spans }) }, type, key, to, trigger).then((result) => {
      // it left this node: a pin of it here means nothing now
      if (result.outcome !== 'not-active' && this.#opts.pins?.unpin(type, key) === true) this.#opts.announce?.()
      return result
    }).finally(() => {
      this.#moving.delete(id)
      this.#ended++
      this.#wakeIdle()
    })
    this.#moving.set(id, moving)
    // a queued move that something else started first (a claim, an admin) ends the queued one too
    if (queued !== undefined) this.#settleQueued(queued.trigger, moving)
    return moving
  }

  /** A move queued with `trigger` ends with `move` (undefined: at once, it is no longer needed). */
  #settleQueued (trigger: MoveTrigger, move: Promise<MoveResult> | undefined): void {
    const count = (failed: boolean): void => {
      const c = this.stats.queued.get(trigger) ?? { ended: 0, failed: 0 }
      this.stats.queued.set(trigger, { ended: c.ended + 1, failed: c.failed + (failed ? 1 : 0) })
    }
    if (move === undefined) count(false)
    else void move.then((r) => { count(r.outcome === 'failed') })
  }

  /**
   * The host's claim hook: before `type/key` is activated here from its journal, its previous
   * owner (in a view replaced in the last minute, alive) is asked to hand it over. Undefined
   * (activate at once) when there is none.
   */
  claim (type: string, key: string): Promise<void> | undefined {
    const { port, system, live, log } = this.#opts
    if (this.#stopped) return undefined
    const role = port.roleOf(type)
    if (role === undefined) return undefined
    const from = this.#opts.placement.previousOwners(type, role, key).find((p) => p !== port.node && live(p))
    if (from === undefined) return undefined
    return system.actorAt<MigrationMsg>({ node: from, path: MIGRATION_PATH })
      .ask<unknown>((replyTo) => ({ type: 'claim', entityType: type, key, to: port.node, replyTo }), { timeout: claimAskMs(this.#opts.busyMs, this.#opts.graceMs) })
      .then((answer) => {
        const result = checkMoveResult(answer)
        if (result.outcome !== 'moved' && result.outcome !== 'not-active') log.warn({ entity: `${type}/${key}`, from, result }, `${type}/${key} was not handed over by ${from} (${result.outcome}${result.why !== undefined ? `: ${result.why}` : ''}); recovering it from its journal`)
      }, (err: unknown) => {
        log.warn({ entity: `${type}/${key}`, from, err }, `${type}/${key}: its previous owner ${from} did not hand it over (${describe(err)}); recovering it from its journal`)
      })
  }

  /** The first `max` moves queued or under way, with where they stand. */
  pendingMoves (max: number): Array<{ readonly entity: string, readonly why: string }> {
    const out: Array<{ entity: string, why: string }> = []
    for (const id of this.#moving.keys()) {
      if (out.length >= max) return out
      out.push({ entity: id, why: 'moving' })
    }
    for (const id of this.#queue.keys()) {
      if (out.length >= max) return out
      out.push({ entity: id, why: `queued (${this.#limit.current()} moves at once now, at most ${this.#opts.concurrency})` })
    }
    return out
  }

  /** Moves queued or under way. */
  get pending (): number { return this.#queue.size + this.#moving.size }

  /**
   * Resolves true once no move is queued or under way, or false once none has ended for `stallMs`.
   * The bound is on a stall, not on the whole: a drain of many entities takes as long as their
   * moves take, one batch after another (10,000 rooms: 20-42 s on two cores), and each move is
   * bounded by itself (busy work, its grace, the adopt ask).
   */
  idle (stallMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      let ended = this.#ended
      let timer = setTimeout(() => { done(false) }, stallMs)
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        this.#idleWaiters.delete(check)
        resolve(ok)
      }
      const check = (): void => {
        if (this.pending === 0) {
          done(true)
        } else if (this.#ended !== ended) {
          ended = this.#ended
          clearTimeout(timer)
          timer = setTimeout(() => { done(false) }, stallMs)
        }
      }
      this.#idleWaiters.add(check)
    })
  }

  /** No more claims; queued moves are dropped (moves under way finish). */
  stop (): void {
    // not awaited (stop stays synchronous for its callers): the sweep's run is synchronous, so
    // none is in progress now, and PeriodicService.stop never rejects
    void this.#adminPins?.stop()
    for (const timer of this.#rechecks.values()) clearTimeout(timer)
    this.#rechecks.clear()
    this.#stopped = true
    this.#queue.clear()
    this.#wakeIdle()
  }

  /**
   * After an adopt: an entity this node's view gives to another node is queued to move there
   * (MISPLACED_RECHECK_MS later, if the view still says so and it is still here). Its old owner
   * moved it here on its own view; when this node's view changed before the hand-over arrived,
   * no later view change here would move it, and the node placement names would wait out its
   * lease for as long as it is in use here.
   */
  #recheckPlacement (type: string, key: string): void {
    const id = `${type}/${key}`
    if (this.#stopped || this.#rechecks.has(id)) return
    const owner = this.#ownerOf(type, key)
    if (owner === undefined || owner === this.#opts.port.node) return
    const timer = setTimeout(() => {
      this.#rechecks.delete(id)
      const now = this.#ownerOf(type, key)
      if (this.#stopped || now === undefined || now === this.#opts.port.node || this.#queue.has(id) || this.#moving.has(id)) return
      if (!this.#opts.port.activeEntities().some(([t, k]) => t === type && k === key)) return
      this.#opts.log.debug({ entity: id, to: now }, `${id} was handed over here, but this node's view gives it to ${now}: it moves on`)
      this.#queue.set(id, { type, key, trigger: 'rebalance' })
      this.#pump()
    }, MISPLACED_RECHECK_MS)
    timer.unref()
    this.#rechecks.set(id, timer)
  }

  #ownerOf (type: string, key: string): string | undefined {
    const role = this.#opts.port.roleOf(type)
    if (role === undefined) return undefined
    const owner = this.#opts.placement.ownerOf(type, role, key)
    return typeof owner === 'string' ? owner : undefined
  }

  #pump (): void {
    while (this.#running < this.#limit.current() && this.#queue.size > 0) {
      const [id, next] = this.#queue.entries().next().value as [string, { type: string, key: string, trigger: MoveTrigger }]
      this.#queue.delete(id)
      // the view may have changed again while it waited: it moves only if it is still another's
      const owner = this.#ownerOf(next.type, next.key)
      if (owner === undefined || owner === this.#opts.port.node || this.#moving.has(id)) {
        this.#settleQueued(next.trigger, this.#moving.get(id))
        continue
      }
      this.#running++
      const moving = this.move(next.type, next.key, owner, next.trigger)
      this.#settleQueued(next.trigger, moving)
      void moving.finally(() => {
        this.#running--
        this.#pump()
      })
    }
    this.#wakeIdle()
  }

  #wakeIdle (): void {
    for (const check of [...this.#idleWaiters]) check()
  }

  #count (trigger: MoveTrigger, outcome: MoveOutcome): void {
    const label = `${trigger}/${outcome}`
    this.stats.moves.set(label, (this.stats.moves.get(label) ?? 0) + 1)
  }
}
