import type { ActorSystem, RemotingPort } from '../../actors/index.ts'
import { clip, describe } from '../../protocols/index.ts'
import type { PinTable } from '../mesh/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { ServiceFailures } from '../services/index.ts'
import { PIN_GRACE_MS, PIN_SWEEP_MS, SETTLE_WAIT_MS } from './constants.ts'
import { askAgainIfLinkBroke } from './ask-again.ts'
import { MoveRefusedError } from './errors.ts'
import { MIGRATION_PATH, checkMoveResult } from './migration-protocol.ts'
import { claimAskMs } from './move-bounds.ts'
import type { MigrationMsg, MoveResult } from './migration-protocol.ts'
import type { OwnerView } from './owner-view.ts'

export interface AdminPinsOptions {
  readonly system: ActorSystem
  readonly port: RemotingPort
  readonly placement: OwnerView
  /** The entities an admin pinned to this node (announced in its record). */
  readonly pins: PinTable
  /** The pins changed: recompute placement and tell the cluster (the node's member record). */
  readonly announce?: () => void
  /** Resolves true once `peer` owns entities of `role` in this node's view (it settled). */
  readonly awaitCandidate?: (peer: string, role: string, ms: number) => Promise<boolean>
  /** The bounds of the old owner's move, which the claim ask waits for (claimAskMs). */
  readonly busyMs: number
  readonly graceMs: number
  /** Whether a move of `type/key` away from here is under way (its pin stays meanwhile). */
  readonly moving: (id: string) => boolean
  /** Whether a member is alive (not down): a claim whose link broke is asked again while it is. */
  readonly live?: (peer: string) => boolean
  readonly failures: ServiceFailures
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
}

/**
 * The entities an admin moved to this node: `migrateHere` pins one here (every member's placement
 * then gives it to this node while it stays active here) and takes it from its owner now, live; a
 * sweep (every PIN_SWEEP_MS, on a PeriodicService) drops the pins of entities no longer active
 * here, after their grace.
 */
export class AdminPins {
  readonly #opts: AdminPinsOptions
  readonly #sweep: PeriodicService
  /** Admin migrations here under way, by entity id: one asked again joins it. */
  readonly #taking = new Map<string, Promise<MoveResult>>()

  constructor (opts: AdminPinsOptions) {
    this.#opts = opts
    this.#sweep = new PeriodicService({ name: 'pin-sweep', intervalMs: PIN_SWEEP_MS, run: () => { this.sweep() }, failures: opts.failures, log: opts.log })
  }

  /** Starts the sweep. */
  start (): void {
    this.#sweep.start()
  }

  /** Stops the sweep (its run is synchronous: none is ever in progress when this is called). */
  async stop (): Promise<void> {
    await this.#sweep.stop()
  }

  /**
   * An admin moves `type/key` to this node: pinned here, and taken from its owner now. Never
   * rejects for a move that went wrong (the result says how it ended); MoveRefusedError or
   * PinLimitError when this node may not take it. `stopping`: the node is stopping (refused).
   */
  async migrateHere (type: string, key: string, stopping: boolean): Promise<MoveResult> {
    const id = `${type}/${key}`
    const under = this.#taking.get(id)
    if (under !== undefined) return await under
    const taking = this.#migrateHere(type, key, stopping).finally(() => { this.#taking.delete(id) })
    this.#taking.set(id, taking)
    return await taking
  }

  async #migrateHere (type: string, key: string, stopping: boolean): Promise<MoveResult> {
    const { port, placement, pins } = this.#opts
    const self = port.node
    const entity = `${type}/${key}`
    const role = port.roleOf(type)
    if (role === undefined) throw new MoveRefusedError(entity, `there is no entity type ${clip(type, 32)}`)
    if (stopping) throw new MoveRefusedError(entity, 'this node is stopping')
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
    if (from === undefined) return this.#taken(type, key, here('it has no owner now'), from)
    return await this.#claim(type, key, from)
  }

  /** Drops the pins of entities that are no longer active here (after their grace); true when
   * some were dropped (placement and the cluster were told). */
  sweep (now = Date.now()): boolean {
    const { pins, port } = this.#opts
    if (pins.size === 0) return false
    const active = new Set(port.activeEntities().map(([type, key]) => `${type}/${key}`))
    let dropped = false
    for (const pin of pins.list()) {
      if (now - pin.at < PIN_GRACE_MS) continue
      const id = `${pin.type}/${pin.key}`
      if (active.has(id) || this.#opts.moving(id) || port.hosts(pin.type, pin.key)) continue
      dropped = pins.unpin(pin.type, pin.key) || dropped
    }
    if (dropped) this.#opts.announce?.()
    return dropped
  }

  /** Asks the owner `from` to hand `type/key` over for an admin's migration. */
  async #claim (type: string, key: string, from: string): Promise<MoveResult> {
    const { system, port, log } = this.#opts
    const entity = `${type}/${key}`
    let result: MoveResult
    try {
      const ask = async (): Promise<unknown> => await system.actorAt<MigrationMsg>({ node: from, path: MIGRATION_PATH })
        .ask<unknown>((replyTo) => ({ type: 'claim', entityType: type, key, to: port.node, trigger: 'admin', replyTo }), { timeout: claimAskMs(this.#opts.busyMs, this.#opts.graceMs) })
      result = checkMoveResult(await askAgainIfLinkBroke(ask, () => this.#opts.live?.(from) ?? false, (err) => {
        log.info({ entity, from, err }, `${entity}: the link to ${from} broke before it answered an admin's migration (${describe(err)}); asking again`)
      }))
    } catch (err) {
      if (this.#adoptedHere(type, key)) return this.#answerLost(type, key, from, describe(err))
      // the pin stays: the entity's next message activates it here (the claim hook asks its
      // old owner again first), and the sweep drops the pin if it never comes
      log.warn({ entity, from, err }, `${entity}: ${from} did not hand it over for an admin's migration (${describe(err)})`)
      return { entity, from, to: port.node, outcome: 'failed', pauseMs: 0, why: describe(err) }
    }
    if (result.outcome === 'failed' && this.#adoptedHere(type, key)) return this.#answerLost(type, key, from, result.why ?? 'no reason given')
    if (result.outcome === 'failed' && this.#activeHere(type, key)) return this.#recoveredHere(type, key, from, result.why ?? 'no reason given')
    return this.#taken(type, key, result, from)
  }

  /**
   * Whether `type/key` was handed over here (adopted in the last minute, RemotingPort.hosts) and
   * runs here: the move happened, whatever the answers about it said. A connection replaced while
   * the answers were on their way (the prober's, under CPU starvation) loses them: the old owner's
   * adopt times out although the hand-off was taken here, and its answer to this claim may be lost
   * as well.
   */
  #adoptedHere (type: string, key: string): boolean {
    return this.#opts.port.hosts(type, key) && this.#activeHere(type, key)
  }

  #activeHere (type: string, key: string): boolean {
    return this.#opts.port.activeEntities().some(([t, k]) => t === type && k === key)
  }

  /**
   * An admin's migration whose hand-off this node refused, the entity active here already: an
   * activation from its journal that serves (its messages came here first, on a view that pins it
   * here, and their claim of the old owner ended before the hand-off came). The old owner released
   * it all the same, and its messages follow it here: the entity runs here, from its journal, as
   * after a cold move. (One still taking its journal that did not give way to the hand-off in time
   * is leaving: not active, and the migration failed.)
   */
  #recoveredHere (type: string, key: string, from: string, why: string): MoveResult {
    const entity = `${type}/${key}`
    this.#opts.log.info({ entity, from, why }, `${entity} runs here as an admin asked, from its journal: the hand-off from ${from} was refused here (${why})`)
    return { entity, from, to: this.#opts.port.node, outcome: 'cold', pauseMs: 0, why: `its hand-off was refused here, where it was active already (${why}); it runs here, from its journal` }
  }

  /** An admin's migration whose entity was handed over here live, though the old owner did not say
   * so (`why`: what it said, or why its answer never came). */
  #answerLost (type: string, key: string, from: string, why: string): MoveResult {
    const entity = `${type}/${key}`
    this.#opts.log.info({ entity, from, why }, `${entity} was handed over here from ${from} as an admin asked, though ${from} did not see it taken (${why})`)
    return { entity, from, to: this.#opts.port.node, outcome: 'moved', pauseMs: 0, why: `its hand-off was taken here, but ${from} did not see it taken: ${why}` }
  }

  /** How an admin's migration ended, said; an entity not active anywhere keeps no pin. */
  #taken (type: string, key: string, result: MoveResult, from: string | undefined): MoveResult {
    const { port, pins, log } = this.#opts
    const entity = `${type}/${key}`
    if (result.outcome === 'not-active' && !port.hosts(type, key)) {
      // nothing to move: no pin (an entity that is not active has no place to keep)
      if (pins.unpin(type, key)) this.#opts.announce?.()
      return { ...result, why: `it is not active (no message for its passivation time); its next message activates it on its owner${from !== undefined ? ` ${from}` : ''}` }
    }
    log.info({ entity, from, outcome: result.outcome, pauseMs: result.pauseMs }, `${entity} moved here from ${from ?? '(none)'} as an admin asked (${result.outcome})`)
    // a claim asked again after its link broke finds it gone from its old owner: here already
    if (result.outcome === 'not-active' && result.why === undefined) return { ...result, why: `it is already on ${port.node}` }
    return result
  }
}
