import type { ActorSystem, Behavior, RemotingPort } from '../../actors/index.ts'
import { clip, describe } from '../../protocols/index.ts'
import { MoveRefusedError, NotLeavingError } from './errors.ts'
import { MoveLimit } from './move-limit.ts'
import { MIGRATION_PATH, adoptedPause, checkMigrationMsg, checkMoveResult } from './migration-protocol.ts'
import type { LeaveMode, LeaveStatus, MigrationMsg, MoveOutcome, MoveResult, MoveTrigger } from './migration-protocol.ts'
import type { PinTable } from '../mesh/index.ts'

/** Placement as the migrator reads it (node/mesh/placement.ts). */
export interface OwnerView {
  ownerOf (type: string, role: string, key: string): string | Error
  previousOwners (type: string, role: string, key: string): string[]
  /** Whether `peer` may own entities of `role` in this view. */
  holds (peer: string, role: string): boolean
  /** The winning pin of `type/key` in this view (an admin moved it to `peerId`). */
  pinOf (type: string, role: string, key: string): { readonly peerId: string, readonly n: number } | undefined
}

/** A node's leave as the migration actor answers for it (node/migration/leave.ts's Leave): given
 * to the actor, it takes the place of the `leave` and `leaving` options. */
export interface LeaveHandle {
  readonly mode: LeaveMode | undefined
  request (mode: LeaveMode): LeaveStatus
  status (): LeaveStatus
}

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

/** How long a new owner waits for a previous owner to hand an entity over, beyond the move's own
 * bound (busy wait and grace): then it recovers the entity from its journal (a clean failover). */
const CLAIM_SLACK_MS = 5_000
/** The adopt ask: the new owner takes the journal (one fence round) before it answers. */
const ADOPT_ASK_MS = 15_000
/** How often pins of entities no longer active here are dropped. */
const PIN_SWEEP_MS = 5_000
/** What an entity's pre-move work (an agent's KV cache sent ahead) may take: a few tens of MiB
 * over loopback or a LAN take well under a second; beyond this the move goes on without it. */
export const PRE_MOVE_MS = 5_000
/** A pin younger than this is kept even while its entity is not active here yet (its move, or
 * its first message after a cold move, is on its way). */
const PIN_GRACE_MS = 15_000
/** An entity adopted here that this node's view gives to another node (its old owner moved it on
 * a view this node has already left behind, so no view change here will move it) moves on after
 * this long if the view still says so: time for views that disagree for a moment (a heal, a join)
 * to agree, so that two nodes whose views differ do not pass it back and forth. */
const MISPLACED_RECHECK_MS = 1_000

/** How long a migration to a member that has just come up waits for it to settle (the settle time,
 * node/mesh MEMBER_SETTLE_MAX_MS at most, with room for its record to reach the others). */
export const SETTLE_WAIT_MS = 10_000

/** How long an admin's migration may take, all told: the new owner's settling, the old owner's
 * move (its busy wait, grace and adopt) and the ask's round trips. */
export function migrateAskMs (busyMs: number, graceMs: number): number {
  return SETTLE_WAIT_MS + busyMs + graceMs + CLAIM_SLACK_MS + ADOPT_ASK_MS
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
  #sweep: ReturnType<typeof setInterval> | undefined
  /** Rechecks of adopted entities this node's view gives to another node (MISPLACED_RECHECK_MS). */
  readonly #rechecks = new Map<string, ReturnType<typeof setTimeout>>()

  constructor (opts: MigratorOptions) {
    this.#opts = opts
    this.#limit = new MoveLimit(opts.concurrency)
  }

  /** Queued moves this node runs at once now (MoveLimit: at most migration-concurrency). */
  get concurrency (): number { return this.#limit.current() }

  /** The system actor other nodes' migrators talk to. */
  behavior (handle?: LeaveHandle): Behavior<MigrationMsg, undefined> {
    return {
      init: () => undefined,
      receive: async (_state, sent, ctx) => {
        const msg = checkMigrationMsg(sent)
        switch (msg.type) {
          case 'adopt': {
            // only a node that may own the entity takes it (not one draining, nor one without
            // the role): the old owner then lets its messages go on as placement says
            const role = this.#opts.port.roleOf(msg.entityType)
            if (role !== undefined && !this.#opts.placement.holds(this.#opts.port.node, role)) {
              ctx.fail(msg.replyTo, new MoveRefusedError(`${msg.entityType}/${clip(msg.key, 64)}`, `this node does not take ${role} entities now (it lacks the role, or it is draining)`))
              return undefined
            }
            const entity = `${msg.entityType}/${clip(msg.key, 64)}`
            this.#opts.log.debug({ entity, from: msg.replyTo.node, seq: msg.handOff.seq, buffered: msg.handOff.buffered.length }, `adopting ${entity} from ${msg.replyTo.node}`)
            // not awaited: the actor goes on taking hand-overs while this one takes its journal (a
            // fence round on its replicas); one at a time, the moves of a drain or a rebalance to
            // this node would wait for each other, and each entity's pause would grow with its
            // place in the line. What must come in order (the activation, the buffered messages)
            // happens before adopt's first await.
            const arrived = performance.now()
            const arrivedAt = Date.now()
            void this.#opts.port.adopt(msg.entityType, msg.key, msg.handOff).then((result) => {
              if (result !== 'ok') {
                ctx.fail(msg.replyTo, result)
                return
              }
              // the pause: the old owner's part, the hop (read off the two wall clocks: never below
              // 0; the old owner caps it by the whole round trip) and this node's part until the
              // entity runs with the messages that waited delivered
              const paused = msg.paused
              ctx.reply(msg.replyTo, paused === undefined ? 'ok' : { pauseMs: paused.ms + Math.max(0, arrivedAt - paused.at) + (performance.now() - arrived) })
              this.#recheckPlacement(msg.entityType, msg.key)
            }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
            return undefined
          }
          case 'claim':
            // not awaited: the actor goes on answering (a claim waits for the entity's work)
            void this.move(msg.entityType, msg.key, msg.to, msg.trigger ?? 'claim').then((r) => { ctx.reply(msg.replyTo, r) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
            return undefined
          case 'migrate':
            void this.migrateHere(msg.entityType, msg.key).then((r) => { ctx.reply(msg.replyTo, r) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
            return undefined
          case 'leave': {
            const leave = handle === undefined ? this.#opts.leave : (mode: LeaveMode) => handle.request(mode)
            if (leave === undefined) {
              ctx.fail(msg.replyTo, new MoveRefusedError('this node', 'it does not leave on request'))
            } else if (msg.follow === true) {
              const status = handle === undefined ? this.#opts.leaving?.() : handle.mode === undefined ? undefined : handle.status()
              if (status === undefined) ctx.fail(msg.replyTo, new NotLeavingError(this.#opts.port.node))
              else ctx.reply(msg.replyTo, status)
            } else {
              ctx.reply(msg.replyTo, leave(msg.mode))
            }
            return undefined
          }
        }
      }
    }
  }

  /** Starts the sweep of pins whose entities are no longer active here. */
  start (): void {
    if (this.#sweep !== undefined || this.#opts.pins === undefined) return
    this.#sweep = setInterval(() => { this.sweepPins() }, PIN_SWEEP_MS)
    this.#sweep.unref()
  }

  /**
   * An admin moves `type/key` to this node: it is pinned here (every member's placement then
   * gives it to this node while it stays active here) and taken from its owner now, live. Never
   * rejects for a move that went wrong (the result says how it ended); MoveRefusedError or
   * PinLimitError when this node may not take it.
   */
  async migrateHere (type: string, key: string): Promise<MoveResult> {
    const { port, placement, pins, system, log } = this.#opts
    const self = port.node
    const entity = `${type}/${key}`
    const role = port.roleOf(type)
    if (role === undefined) throw new MoveRefusedError(entity, `there is no entity type ${clip(type, 32)}`)
    if (pins === undefined || this.#stopped) throw new MoveRefusedError(entity, 'this node is stopping')
    // a node that has just come up takes entities once it settled (at most MEMBER_SETTLE_MAX_MS)
    if (!placement.holds(self, role) && await this.#opts.awaitCandidate?.(self, role, SETTLE_WAIT_MS) !== true) {
      throw new MoveRefusedError(entity, `this node does not take ${role} entities now (it lacks the role, or it is draining)`)
    }
    const owner = placement.ownerOf(type, role, key)
    const pin = placement.pinOf(type, role, key)
    const here = (why: string): MoveResult => ({ entity, from: self, to: self, outcome: 'not-active', pauseMs: 0, why })
    if (owner === self || port.hosts(type, key)) {
      // already here: pinned, it stays here while active (a node joining does not take it)
      if (pins.get(type, key) === undefined && port.hosts(type, key)) {
        pins.pin(type, key, (pin?.n ?? 0) + 1)
        this.#opts.announce?.()
      }
      return here(`it is already on ${self}`)
    }
    pins.pin(type, key, (pin?.n ?? 0) + 1)
    this.#opts.announce?.()
    const from = typeof owner === 'string' ? owner : undefined
    let result: MoveResult
    if (from === undefined) {
      result = here('it has no owner now')
    } else {
      try {
        result = checkMoveResult(await system.actorAt<MigrationMsg>({ node: from, path: MIGRATION_PATH })
          .ask<unknown>((replyTo) => ({ type: 'claim', entityType: type, key, to: self, trigger: 'admin', replyTo }), { timeout: this.#opts.busyMs + this.#opts.graceMs + CLAIM_SLACK_MS }))
      } catch (err) {
        // the pin stays: the entity's next message activates it here (the claim hook asks its
        // old owner again first), and the sweep drops the pin if it never comes
        log.warn({ entity, from, err }, `${entity}: ${from} did not hand it over for an admin's migration (${describe(err)})`)
        return { entity, from, to: self, outcome: 'failed', pauseMs: 0, why: describe(err) }
      }
    }
    if (result.outcome === 'not-active' && !port.hosts(type, key)) {
      // nothing to move: no pin (an entity that is not active has no place to keep)
      if (pins.unpin(type, key)) this.#opts.announce?.()
      return { ...result, why: `it is not active (no message for its passivation time); its next message activates it on its owner${from !== undefined ? ` ${from}` : ''}` }
    }
    log.info({ entity, from, outcome: result.outcome, pauseMs: result.pauseMs }, `${entity} moved here from ${from ?? '(none)'} as an admin asked (${result.outcome})`)
    return result
  }

  /** Drops the pins of entities that are no longer active here (after their grace); true when
   * some were dropped (placement and the cluster were told). */
  sweepPins (now = Date.now()): boolean {
    const { pins, port } = this.#opts
    if (pins === undefined || pins.size === 0) return false
    const active = new Set(port.activeEntities().map(([type, key]) => `${type}/${key}`))
    let dropped = false
    for (const pin of pins.list()) {
      if (now - pin.at < PIN_GRACE_MS) continue
      const id = `${pin.type}/${pin.key}`
      if (active.has(id) || this.#moving.has(id) || port.hosts(pin.type, pin.key)) continue
      dropped = pins.unpin(pin.type, pin.key) || dropped
    }
    if (dropped) this.#opts.announce?.()
    return dropped
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
    const moving = this.#move(type, key, to, trigger).then((result) => {
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
      .ask<unknown>((replyTo) => ({ type: 'claim', entityType: type, key, to: port.node, replyTo }), { timeout: this.#opts.busyMs + this.#opts.graceMs + CLAIM_SLACK_MS })
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
    if (this.#sweep !== undefined) clearInterval(this.#sweep)
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

  async #move (type: string, key: string, to: string, trigger: MoveTrigger): Promise<MoveResult> {
    const { port, system, log, live } = this.#opts
    const entity = `${type}/${key}`
    const from = port.node
    if (to !== from && this.#opts.beforeMove !== undefined) await this.#beforeMove(this.#opts.beforeMove, type, key, to)
    const started = performance.now()
    /** `measured`: the pause the new owner measured (capped by this node's own view of the move). */
    const result = (outcome: MoveOutcome, why?: string, measured?: number): MoveResult => {
      const own = performance.now() - started
      const moved: MoveResult = { entity, from, to, outcome, pauseMs: measured === undefined ? own : Math.min(own, measured), ...(why !== undefined && { why }) }
      this.#count(trigger, outcome)
      if (outcome === 'moved') this.#limit.observe(moved.pauseMs, started)
      this.#opts.onMove?.(moved, trigger)
      return moved
    }
    if (to === from) return result('not-active', 'it is already here')
    const released = await port.release(type, key, { busyMs: this.#opts.busyMs, graceMs: this.#opts.graceMs })
    if (released.outcome === 'not-active') return result('not-active')
    if (released.outcome === 'cold') {
      // one still taking its journal (waiting out another owner's lease) stopped waiting: a view
      // change, not a fault
      if (released.untaken === true) log.debug({ entity, to, why: released.why }, `${entity} moves to ${to} before it was taken here (${released.why}); ${to} takes it from its journal`)
      else log.warn({ entity, to, why: released.why }, `${entity} did not stop cleanly to move to ${to} (${released.why}); ${to} recovers it from its journal`)
      port.finishRelease(type, key, to)
      return result('cold', released.why)
    }
    const adopting = system.actorAt<MigrationMsg>({ node: to, path: MIGRATION_PATH })
      .ask<unknown>((replyTo) => ({ type: 'adopt', entityType: type, key, handOff: released.handOff, paused: { ms: performance.now() - started, at: Date.now() }, replyTo }), { timeout: ADOPT_ASK_MS })
    // what arrives from now on goes after the hand-off on the same link, so it reaches the new
    // owner after it: it waits there (claimed) while the hand-over lands, not here for the answer
    port.finishRelease(type, key, to)
    let answer: unknown
    try {
      answer = await adopting
    } catch (err) {
      // its state is durable: whoever takes it next recovers it from its journal; the messages
      // that waited go to the new owner if it lives (it activates the entity), else as placement says
      const why = describe(err)
      log.warn({ entity, to, err }, `${entity}: ${to} did not take it (${why}); its messages go on and it recovers from its journal`)
      port.finishRelease(type, key, live(to) ? to : undefined, released.handOff.buffered)
      return result('failed', why)
    }
    {
      const measured = adoptedPause(answer)
      log.debug({ entity, to, trigger, seq: released.handOff.seq, buffered: released.handOff.buffered.length, pauseMs: measured }, `${entity} moved to ${to}`)
      return result('moved', undefined, measured)
    }
  }

  /** The pre-move work, bounded; the entity keeps serving meanwhile, and moves whatever it says. */
  async #beforeMove (work: NonNullable<MigratorOptions['beforeMove']>, type: string, key: string, to: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<'expired'>((resolve) => { timer = setTimeout(() => { resolve('expired') }, PRE_MOVE_MS) })
    try {
      const outcome = await Promise.race([work(type, key, to).then(() => 'done' as const), expired])
      if (outcome === 'expired') this.#opts.log.warn({ entity: `${type}/${key}`, to, ms: PRE_MOVE_MS }, 'the work before a move did not end in time; the entity moves without it')
    } catch (err) {
      this.#opts.log.debug({ entity: `${type}/${key}`, to, err }, `the work before a move failed (${describe(err)}); the entity moves without it`)
    } finally {
      clearTimeout(timer)
    }
  }

  #count (trigger: MoveTrigger, outcome: MoveOutcome): void {
    const label = `${trigger}/${outcome}`
    this.stats.moves.set(label, (this.stats.moves.get(label) ?? 0) + 1)
  }
}

/** Starts the migration actor on `system` for `migrator`. */
export function spawnMigrationActor (system: ActorSystem, migrator: Migrator, leave?: LeaveHandle): void {
  system.spawn(migrator.behavior(leave), { name: MIGRATION_PATH.slice(1), kind: 'migration', mailbox: 65_536 })
}
