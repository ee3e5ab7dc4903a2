import { describe } from '../../protocols/index.ts'
import type { LeaveMode, LeaveStatus } from './migration-protocol.ts'
import type { Migrator } from './migrator.ts'
import { DECOMMISSION_CHECK_MS, MOVES_WAIT_MS } from './constants.ts'

export interface LeaveOptions {
  readonly migrator: Migrator
  /** Entities active here now. */
  readonly entities: () => number
  /** Refuses (LeaveRefusedError) a leave that would leave the cluster short: the only member
   * with a role, or too few storage nodes for the replication factor. */
  readonly check: (mode: LeaveMode) => void
  /** Decommission, first step: not ready, no roles (placement moves every entity away, the storage
   * roster counts this node leaving, so its partitions are handed off). */
  readonly dropRoles: () => void
  /** The storage hand-off: undefined when this node holds no partitions to hand off (never a
   * storage node, or done). */
  readonly handOff: () => { readonly state: string, readonly waiting: readonly string[] } | undefined
  /** Decommission, last step: the data dir is marked (it never starts a node again) and the
   * cluster told to forget this member. */
  readonly markLeft: () => Promise<void>
  /** The node's graceful stop (the same as on SIGTERM); the process exits after it. */
  readonly stop: () => Promise<void>
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

/**
 * A node leaving because an admin asked (`plexi admin drain|decommission PEER`): a drain is the
 * graceful stop of SIGTERM (entities move live, then the process exits); a decommission first
 * drops every role, waits for the entities' moves and the storage hand-off, marks the data dir
 * and then stops. Asked again (the admin's job polls), it says where it stands.
 */
export class Leave {
  readonly #opts: LeaveOptions
  #mode: LeaveMode | undefined
  #total = 0
  #movesBefore = new Map<string, number>()
  #state: LeaveStatus['state'] = 'moving'
  #waiting: readonly string[] = []

  constructor (opts: LeaveOptions) {
    this.#opts = opts
  }

  /** Whether a leave was asked for (and which). */
  get mode (): LeaveMode | undefined { return this.#mode }

  /** Starts leaving (once: a second ask, of either mode, answers how the first goes). */
  request (mode: LeaveMode): LeaveStatus {
    if (this.#mode === undefined) {
      this.#opts.check(mode)
      this.#mode = mode
      this.#total = this.#opts.entities()
      this.#movesBefore = new Map(this.#opts.migrator.stats.moves)
      this.#opts.log.info({ mode, entities: this.#total }, `${mode} asked by an admin: ${this.#total} entities move to other members${mode === 'decommission' ? ', then storage partitions are handed off, then this node leaves the cluster for good' : ', then this node exits'}`)
      // not awaited: the leave goes on after the admin's ask is answered (the job follows it);
      // a stop that fails is said, as a decommission that fails is
      const stopFailed = (err: unknown): void => { this.#opts.log.warn({ err }, `the stop after a ${mode} failed: ${describe(err)}`) }
      if (mode === 'drain') {
        void this.#stop().catch(stopFailed)
      } else {
        void this.#decommission().catch(async (err: unknown) => {
          this.#opts.log.warn({ err }, `decommission failed: ${describe(err)}; stopping`)
          await this.#stop()
        }).catch(stopFailed)
      }
    }
    return this.status()
  }

  status (): LeaveStatus {
    const { migrator } = this.#opts
    const moves: Record<string, number> = {}
    for (const [label, n] of migrator.stats.moves) {
      const outcome = label.split('/')[1] as string
      const delta = n - (this.#movesBefore.get(label) ?? 0)
      if (delta > 0) moves[outcome] = (moves[outcome] ?? 0) + delta
    }
    const entities = this.#opts.entities()
    const left = [
      ...migrator.pendingMoves(20).map((m) => ({ item: m.entity, why: m.why })),
      ...this.#waiting.map((why) => ({ item: 'storage hand-off', why }))
    ].slice(0, 20)
    const state = this.#state === 'moving' && migrator.pending === 0 && this.#mode === 'drain' ? 'stopping' : this.#state
    return { mode: this.#mode ?? 'drain', state, total: this.#total, entities, moves, left }
  }

  async #decommission (): Promise<void> {
    const { migrator, log } = this.#opts
    this.#opts.dropRoles()
    await migrator.idle(MOVES_WAIT_MS)
    this.#state = 'handing-off'
    for (let hand = this.#opts.handOff(); hand !== undefined && hand.state !== 'done'; hand = this.#opts.handOff()) {
      this.#waiting = hand.waiting
      await new Promise((resolve) => setTimeout(resolve, DECOMMISSION_CHECK_MS))
    }
    this.#waiting = []
    await this.#opts.markLeft()
    log.info({}, 'decommissioned: every entity moved and every storage partition handed off; this node leaves the cluster for good')
    await this.#stop()
  }

  async #stop (): Promise<void> {
    this.#state = 'stopping'
    await this.#opts.stop()
  }
}
