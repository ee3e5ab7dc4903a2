import type { ActorSystem, Behavior, RemotingPort } from '../../actors/index.ts'
import { clip, describe } from '../../protocols/index.ts'
import { MoveRefusedError } from './errors.ts'
import { MIGRATION_PATH, checkMigrationMsg, checkMoveResult } from './migration-protocol.ts'
import type { MigrationMsg, MoveOutcome, MoveResult, MoveTrigger } from './migration-protocol.ts'

/** Placement as the migrator reads it (node/mesh/placement.ts). */
export interface OwnerView {
  ownerOf (type: string, role: string, key: string): string | Error
  previousOwners (type: string, role: string, key: string): string[]
  /** Whether `peer` may own entities of `role` in this view. */
  holds (peer: string, role: string): boolean
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
  /** Moves at once, at most (rebalances and drains queue the rest). */
  readonly concurrency: number
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
  /** Every move this node made as old owner, as it ended (metrics). */
  readonly onMove?: (result: MoveResult, trigger: MoveTrigger) => void
}

/** What the metrics and the drain report read. */
export interface MigrationStats {
  /** moves by trigger and outcome, `${trigger}/${outcome}` */
  readonly moves: Map<string, number>
}

/** How long a new owner waits for a previous owner to hand an entity over, beyond the move's own
 * bound (busy wait and grace): then it recovers the entity from its journal (a clean failover). */
const CLAIM_SLACK_MS = 5_000
/** The adopt ask: the new owner takes the journal (one fence round) before it answers. */
const ADOPT_ASK_MS = 15_000

/**
 * Live migration on one node (ARCHITECTURE: Migration). As old owner it moves entities away:
 * those placement gives to another node after a view change (a drain, a join: `rebalance`), at
 * most `concurrency` at once. As new owner it takes
 * them (`adopt`), and before it activates an entity from its journal it asks the entity's previous
 * owner, if one is alive, to hand it over first (`claim`): so a message that reaches the new owner
 * before the move does waits for it instead of fencing a live activation.
 */
export class Migrator {
  readonly stats: MigrationStats = { moves: new Map() }
  readonly #opts: MigratorOptions
  /** Moves under way, by entity id. */
  readonly #moving = new Map<string, Promise<MoveResult>>()
  /** Rebalance moves waiting for a slot, by entity id. */
  readonly #queue = new Map<string, { readonly type: string, readonly key: string, readonly trigger: MoveTrigger }>()
  #running = 0
  readonly #idleWaiters = new Set<() => void>()
  #stopped = false

  constructor (opts: MigratorOptions) {
    this.#opts = opts
  }

  /** The system actor other nodes' migrators talk to. */
  behavior (): Behavior<MigrationMsg, undefined> {
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
            const result = await this.#opts.port.adopt(msg.entityType, msg.key, msg.handOff)
            if (result === 'ok') ctx.reply(msg.replyTo, 'ok')
            else ctx.fail(msg.replyTo, result)
            return undefined
          }
          case 'claim':
            // not awaited: the actor goes on answering (a claim waits for the entity's work)
            void this.move(msg.entityType, msg.key, msg.to, 'claim').then((r) => { ctx.reply(msg.replyTo, r) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
            return undefined
        }
      }
    }
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
    this.#queue.delete(id)
    const under = this.#moving.get(id)
    if (under !== undefined) return under
    const moving = this.#move(type, key, to, trigger).finally(() => {
      this.#moving.delete(id)
      this.#wakeIdle()
    })
    this.#moving.set(id, moving)
    return moving
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

  /** Moves queued or under way. */
  get pending (): number { return this.#queue.size + this.#moving.size }

  /** Resolves once no move is queued or under way, or after `ms` (false then). */
  idle (ms: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        this.#idleWaiters.delete(check)
        resolve(ok)
      }
      const check = (): void => { if (this.pending === 0) done(true) }
      const timer = setTimeout(() => { done(false) }, ms)
      this.#idleWaiters.add(check)
    })
  }

  /** No more claims; queued moves are dropped (moves under way finish). */
  stop (): void {
    this.#stopped = true
    this.#queue.clear()
    this.#wakeIdle()
  }

  #ownerOf (type: string, key: string): string | undefined {
    const role = this.#opts.port.roleOf(type)
    if (role === undefined) return undefined
    const owner = this.#opts.placement.ownerOf(type, role, key)
    return typeof owner === 'string' ? owner : undefined
  }

  #pump (): void {
    while (this.#running < this.#opts.concurrency && this.#queue.size > 0) {
      const [id, next] = this.#queue.entries().next().value as [string, { type: string, key: string, trigger: MoveTrigger }]
      this.#queue.delete(id)
      // the view may have changed again while it waited: it moves only if it is still another's
      const owner = this.#ownerOf(next.type, next.key)
      if (owner === undefined || owner === this.#opts.port.node || this.#moving.has(id)) continue
      this.#running++
      void this.move(next.type, next.key, owner, next.trigger).finally(() => {
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
    const started = performance.now()
    const result = (outcome: MoveOutcome, why?: string): MoveResult => {
      const moved: MoveResult = { entity, from, to, outcome, pauseMs: performance.now() - started, ...(why !== undefined && { why }) }
      this.#count(trigger, outcome)
      this.#opts.onMove?.(moved, trigger)
      return moved
    }
    if (to === from) return result('not-active', 'it is already here')
    const released = await port.release(type, key, { busyMs: this.#opts.busyMs, graceMs: this.#opts.graceMs })
    if (released.outcome === 'not-active') return result('not-active')
    if (released.outcome === 'cold') {
      log.warn({ entity, to, why: released.why }, `${entity} did not stop cleanly to move to ${to} (${released.why}); ${to} recovers it from its journal`)
      port.finishRelease(type, key, to)
      return result('cold', released.why)
    }
    try {
      await system.actorAt<MigrationMsg>({ node: to, path: MIGRATION_PATH })
        .ask<unknown>((replyTo) => ({ type: 'adopt', entityType: type, key, handOff: released.handOff, replyTo }), { timeout: ADOPT_ASK_MS })
      port.finishRelease(type, key, to)
      log.debug({ entity, to, trigger, seq: released.handOff.seq, buffered: released.handOff.buffered.length }, `${entity} moved to ${to}`)
      return result('moved')
    } catch (err) {
      // its state is durable: whoever takes it next recovers it from its journal; the messages
      // that waited go to the new owner if it lives (it activates the entity), else as placement says
      const why = describe(err)
      log.warn({ entity, to, err }, `${entity}: ${to} did not take it (${why}); its messages go on and it recovers from its journal`)
      port.finishRelease(type, key, live(to) ? to : undefined, released.handOff.buffered)
      return result('failed', why)
    }
  }

  #count (trigger: MoveTrigger, outcome: MoveOutcome): void {
    const label = `${trigger}/${outcome}`
    this.stats.moves.set(label, (this.stats.moves.get(label) ?? 0) + 1)
  }
}

/** Starts the migration actor on `system` for `migrator`. */
export function spawnMigrationActor (system: ActorSystem, migrator: Migrator): void {
  system.spawn(migrator.behavior(), { name: MIGRATION_PATH.slice(1), kind: 'migration', mailbox: 65_536 })
}
