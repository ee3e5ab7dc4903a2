import { SupervisorIntensityError, isSuperseded } from './errors.ts'
import { describe, kindOf } from '../../protocols/index.ts'
import { isUp } from './cell-status.ts'
import { restartGroup, withRestart } from './restart-window.ts'
import { backoffDelay } from './supervision-flags.ts'
import type { ExitReason, RestartType } from './behavior.ts'
import type { CellStatus } from './cell-status.ts'
import type { Kernel } from './kernel.ts'
import type { ResolvedFlags } from './supervision-flags.ts'

/** What fault handling needs of a child (ActorCell is one). */
export interface SupervisedChild {
  readonly path: string
  readonly restart: RestartType
  readonly status: CellStatus
  /** Its init finished and it has not been put at rest since. */
  readonly initialized: boolean
  finalize (reason: ExitReason): Promise<void>
  /** Puts it at rest for a restart: its handler, timers, children and onStop end; its mailbox stays. */
  suspend (reason: ExitReason): Promise<void>
  /** Runs its init again (a new incarnation, the same ref and mailbox). */
  restartInPlace (): Promise<void>
}

/** What fault handling needs of the supervising actor (ActorCell is one). */
export interface SupervisingCell<C> {
  readonly path: string
  /** The system's root: nobody above it to escalate to (the kernel's `escalated` hook is told). */
  readonly isRoot: boolean
  readonly status: CellStatus
  readonly children: { has (child: C): boolean, list (): C[], stopAll (): Promise<void> }
  /** Fails the supervisor itself, as a handler that threw would (escalation). */
  crash (error: unknown): void
}

/**
 * How one actor handles its children's exits (as Akka keeps FaultHandling out of ActorCell): OTP's
 * restart types, strategies, intensity and backoff (docs/architecture.md, "Supervision"). Exits
 * are handled one at a time, in the order they came.
 */
export class FaultHandling<C extends SupervisedChild> {
  readonly #owner: SupervisingCell<C>
  readonly #kernel: Kernel
  readonly #flags: ResolvedFlags
  /** Restart windows (restart-window.ts): the whole group's, or each child's with scope 'child'. */
  #restarts: number[] = []
  readonly #childRestarts = new Map<C, number[]>()
  #queue: Promise<void> = Promise.resolve()
  /** Ends the backoff wait in progress (a stop of the supervisor cuts it short). */
  #wake: (() => void) | undefined

  constructor (owner: SupervisingCell<C>, kernel: Kernel, flags: ResolvedFlags) {
    this.#owner = owner
    this.#kernel = kernel
    this.#flags = flags
  }

  /** `child` crashed or exited on its own and waits, suspended, for this decision. */
  childExited (child: C, reason: ExitReason): void {
    this.#queue = this.#queue
      .then(() => this.#supervise(child, reason))
      .catch((err: unknown) => {
        this.#kernel.log.error({ actor: this.#owner.path, err }, `supervision in ${this.#owner.path} failed: ${describe(err)}`)
      })
  }

  /** `child` stopped for good: its restart window goes. */
  forget (child: C): void { this.#childRestarts.delete(child) }

  /** The supervisor stops: a backoff wait ends now. */
  wake (): void { this.#wake?.() }

  async #supervise (child: C, reason: ExitReason): Promise<void> {
    const owner = this.#owner
    if (!owner.children.has(child) || child.status !== 'suspended') return
    // we are going away ourselves: our own stop (or restart) finalizes the child
    if (!isUp(owner.status)) return
    if (!restarts(child, reason)) {
      await child.finalize(reason)
      return
    }
    const flags = this.#flags
    const window = withRestart(flags.scope === 'child' ? this.#childRestarts.get(child) ?? [] : this.#restarts, performance.now(), flags.period)
    if (flags.scope === 'child') this.#childRestarts.set(child, window)
    else this.#restarts = window
    if (window.length > flags.intensity) {
      await this.#giveUp(child, reason)
      return
    }
    const group = restartGroup(flags.strategy, owner.children.list(), child)
    // the failed child is already down (as in OTP): clean it up first, then the rest of the
    // group right to left; temporary siblings are not restarted
    await child.suspend(reason)
    for (const sibling of [...group].reverse()) {
      if (sibling === child) continue
      if (sibling.restart === 'temporary') await sibling.finalize({ type: 'shutdown' })
      else await sibling.suspend({ type: 'shutdown' })
    }
    await this.#sleep(backoffDelay(flags, window.length))
    for (const member of group) {
      if (!isUp(owner.status)) return
      if (owner.children.has(member) && member.status === 'suspended') await member.restartInPlace()
    }
  }

  /** More than `intensity` restarts within the period. */
  async #giveUp (child: C, reason: ExitReason): Promise<void> {
    const owner = this.#owner
    const flags = this.#flags
    this.#kernel.stats.escalations++
    const error = new SupervisorIntensityError(owner.isRoot ? '/' : owner.path, child.path,
      flags.intensity, flags.period, reason.type === 'failed' ? reason.error : `exit ${reason.type}`)
    this.#kernel.log.error({ actor: owner.path, child: child.path, err: error }, error.message)
    if (flags.scope === 'child' || owner.isRoot) {
      await child.finalize({ type: 'failed', error })
      if (owner.isRoot) this.#kernel.escalated(error)
      return
    }
    // OTP: the supervisor stops every child, right to left, and fails; its parent decides
    await owner.children.stopAll()
    owner.crash(error)
  }

  /** Backoff wait; a stop of the supervisor cuts it short (wake). */
  #sleep (ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.#wake = undefined
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.#wake = wake
    })
  }
}

/**
 * Whether `child`'s exit calls for a restart: by its restart type (idle passivation never does),
 * except for two exits of a transient actor (an entity) that a restart in place would only repeat.
 */
function restarts (child: SupervisedChild, reason: ExitReason): boolean {
  const failed = reason.type === 'failed'
  const restart = reason.type !== 'idle' &&
    (child.restart === 'permanent' || (child.restart === 'transient' && failed))
  if (!restart || !failed || child.restart !== 'transient') return restart
  // it could not start because something it needs is unavailable (its journal's replicas): it
  // stops instead of restarting in a loop; what waits for it is told at once (UNAVAILABLE, retry),
  // and its next message starts it afresh
  if (!child.initialized && kindOf(reason.error) === 'unavailable') return false
  // its journal a newer owner fenced: restarted in place it would take the entity back with yet
  // another epoch, and two nodes would pass it back and forth until the restart intensity tripped
  // (docs/replication.md, "Failover")
  return !isSuperseded(reason.error)
}
