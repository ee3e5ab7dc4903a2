import { ActorRef } from './actor-ref.ts'
import { actorContext } from './actor-context.ts'
import { MessageRef } from './message-ref.ts'
import { BoundedQueue } from './bounded-queue.ts'
import { DEFAULT_SHUTDOWN_MS, ENTITY_KEY_FORBIDDEN, ENTITY_KEY_MAX_LENGTH, MESSAGES_PER_CLOCK_CHECK, TURN_SLICE_MS } from './constants.ts'
import { Deathwatch } from './deathwatch.ts'
import { ActorNameTakenError, ActorStoppedError, InvalidNameError, SupervisorIntensityError, isSuperseded } from './errors.ts'
import { describe, isRefusal, kindOf } from '../../protocols/index.ts'
import { replyToOf } from './reply-to.ts'
import { restartGroup, withRestart } from './restart-window.ts'
import { backoffDelay, resolveFlags } from './supervision-flags.ts'
import { TimerScheduler } from './timer-scheduler.ts'
import type { ActorContext, Behavior, ExitReason, RestartType, Signal, SpawnOptions, SupervisionFlags } from './behavior.ts'
import type { ContextCell } from './actor-context.ts'
import type { Watch } from './deathwatch.ts'
import type { Kernel } from './kernel.ts'
import type { Deliverer, DeliveryResult } from './pending-asks.ts'
import type { ResolvedFlags } from './supervision-flags.ts'

/** Kernel-internal hooks (the entity host uses them). */
export interface CellHooks {
  /** Called synchronously when the actor is about to stop for idleness; false keeps it running. */
  onIdle?: () => boolean
  /** Called once, when the actor has stopped for good. */
  onTerminated?: (reason: ExitReason) => void
}

/**
 * - starting: init runs; messages wait in the mailbox.
 * - running: messages are handled one at a time.
 * - suspended: it crashed or exited, or its supervisor is restarting its group; messages wait.
 * - stopping / stopped: stopping for good; new messages are dead letters.
 */
export type CellStatus = 'starting' | 'running' | 'suspended' | 'stopping' | 'stopped'

export interface ActorInfo {
  readonly path: string
  readonly kind: string
  readonly status: CellStatus
  readonly mailbox: number
  readonly children: number
}

type AnyCell = ActorCell<any, any>

/**
 * The runtime of one actor: its mailbox, its state, its lifecycle and the supervision of its
 * children. An ActorRef is the outside's only handle on it.
 */
export class ActorCell<M, S> implements Deliverer<M>, ContextCell<M> {
  readonly path: string
  readonly name: string
  readonly kind: string
  readonly restart: RestartType
  readonly capacity: number
  readonly ref: ActorRef<M>
  readonly #kernel: Kernel
  readonly #parent: AnyCell | undefined
  readonly #behavior: Behavior<M, S>
  readonly #flags: ResolvedFlags
  readonly #shutdownMs: number
  readonly #idleMs: number | undefined
  readonly #hooks: CellHooks
  readonly #mailbox: BoundedQueue<M>
  readonly #signals: Signal[] = []
  readonly #timers: TimerScheduler<M>
  readonly #ctx: ActorContext<M>
  #state: S = undefined as S
  #status: CellStatus = 'starting'
  /** Bumped on every restart and when a stop gives up on a handler: results of an older
   * incarnation are ignored. */
  #incarnation = 0
  #initialized = false
  #processing = false
  #scheduled = false
  #settledWaiters: Array<() => void> = []
  #stopRequest: ExitReason | undefined
  /** Children in start order (a Set keeps insertion order); names only of those not stopping. */
  readonly #children = new Set<AnyCell>()
  readonly #childNames = new Map<string, AnyCell>()
  #nextChildId = 0
  readonly #deathwatch: Deathwatch<AnyCell> = new Deathwatch<AnyCell>((cell) => cell.#deathwatch)
  /** Restart windows (restart-window.ts): the whole group's, or each child's with scope 'child'. */
  #restarts: number[] = []
  readonly #childRestarts = new Map<AnyCell, number[]>()
  #supervising: Promise<void> = Promise.resolve()
  #backoff: { timer: ReturnType<typeof setTimeout>, wake: () => void } | undefined
  #idleTimer: ReturnType<typeof setTimeout> | undefined
  #activity = 0
  #activityAtArm = 0
  #started: Promise<void> = Promise.resolve()
  #finalized: Promise<void> | undefined

  constructor (kernel: Kernel, parent: AnyCell | undefined, name: string, behavior: Behavior<M, S>,
    options: SpawnOptions, hooks: CellHooks, flagDefaults?: Partial<ResolvedFlags>) {
    this.#kernel = kernel
    this.#parent = parent
    this.name = name
    this.path = parent === undefined ? '' : `${parent.path}/${name}`
    this.kind = options.kind ?? (behavior.supervision !== undefined ? 'supervisor' : 'actor')
    this.restart = options.restart ?? 'transient'
    this.capacity = options.mailbox ?? kernel.mailboxCapacity
    this.#behavior = behavior
    this.#flags = resolveFlags(behavior.supervision, flagDefaults)
    this.#shutdownMs = options.shutdown ?? DEFAULT_SHUTDOWN_MS
    this.#idleMs = options.idleTimeout
    this.#hooks = hooks
    this.#mailbox = new BoundedQueue<M>(this.capacity)
    this.#timers = new TimerScheduler<M>((msg) => {
      if (this.deliver(msg) === 'full') kernel.stats.tellsDropped++
    })
    this.ref = new ActorRef<M>(kernel.node, this, kernel.asks, kernel.stats)
    this.#ctx = actorContext(this, kernel, this.#timers, cellOf)
  }

  get parent (): AnyCell | undefined { return this.#parent }

  childRefs (): Array<ActorRef<unknown>> { return [...this.#children].map((c) => c.ref) }

  get status (): CellStatus { return this.#status }
  get mailboxLength (): number { return this.#mailbox.length }

  info (): ActorInfo {
    return { path: this.path, kind: this.kind, status: this.#status, mailbox: this.#mailbox.length, children: this.#children.size }
  }

  childCells (): AnyCell[] { return [...this.#children] }

  /** The live (not stopping) child of that name. */
  childNamed (name: string): AnyCell | undefined { return this.#childNames.get(name) }

  /** The root cell of a system: no behavior of its own, supervises the top-level actors. */
  static root (kernel: Kernel, flags: SupervisionFlags): ActorCell<unknown, undefined> {
    const cell = new ActorCell<unknown, undefined>(kernel, undefined, '', { receive: (s) => s, supervision: flags }, { kind: 'root' }, {})
    cell.#status = 'running'
    cell.#initialized = true
    return cell
  }

  // ---- messages ---------------------------------------------------------------------------

  /** A message another node sent, checked by the behavior's `checkPeer`: the refusal, or undefined. */
  refusePeer (msg: unknown): Error | undefined {
    const check = this.#behavior.checkPeer
    if (check === undefined) return undefined
    try {
      check(msg)
      return undefined
    } catch (err) {
      this.#kernel.stats.refusals++
      this.#kernel.log.debug({ actor: this.path, err }, `${this.path} refused a message from a peer: ${describe(err)}`)
      return err instanceof Error ? err : new Error(`message to ${this.path}: ${describe(err)}`)
    }
  }

  deliver (msg: M): DeliveryResult {
    if (this.#status === 'stopped' || this.#status === 'stopping') {
      this.#deadLetter(msg)
      return 'stopped'
    }
    if (!this.#mailbox.push(msg)) return 'full'
    this.#schedule()
    return 'ok'
  }

  #deadLetter (msg: M, cause?: unknown): void {
    this.#kernel.stats.deadLetters++
    const replyTo = replyToOf(msg)
    if (replyTo !== undefined) this.#kernel.reply(replyTo, { error: new ActorStoppedError(this.path, cause) })
  }

  #schedule (): void {
    if (this.#scheduled || this.#processing || this.#status !== 'running') return
    if (this.#mailbox.length === 0 && this.#signals.length === 0 && this.#stopRequest === undefined) return
    this.#scheduled = true
    queueMicrotask(this.#turn)
  }

  readonly #turn = (): void => {
    this.#scheduled = false
    if (!this.#processing && this.#status === 'running') void this.#drain()
  }

  /** Handles messages until the mailbox is empty, the turn's time slice is spent, or the status
   * changes. Sync handlers run without an await; async ones are awaited one at a time. */
  async #drain (): Promise<void> {
    const incarnation = this.#incarnation
    const behavior = this.#behavior
    const mailbox = this.#mailbox
    const signals = this.#signals
    this.#processing = true
    const started = performance.now()
    let handled = 0
    let untilClockCheck = MESSAGES_PER_CLOCK_CHECK
    let sliceSpent = false
    let current: M | undefined
    try {
      while (this.#status === 'running' && this.#stopRequest?.type !== 'normal') {
        let result: S | Promise<S>
        if (signals.length > 0) {
          current = undefined
          const signal = signals.shift() as Signal
          const onSignal = behavior.onSignal
          if (onSignal === undefined) continue
          result = onSignal(this.#state, signal, this.#ctx)
        } else if (mailbox.length > 0) {
          current = mailbox.shift() as M
          result = behavior.receive(this.#state, current, this.#ctx)
        } else {
          break
        }
        const next = result instanceof Promise || isThenable(result) ? await result : result
        if (incarnation !== this.#incarnation) return
        this.#state = next
        handled++
        if (--untilClockCheck === 0) {
          untilClockCheck = MESSAGES_PER_CLOCK_CHECK
          if (performance.now() - started >= TURN_SLICE_MS) {
            sliceSpent = true
            break
          }
        }
      }
    } catch (err) {
      if (incarnation !== this.#incarnation) return
      this.#count(handled)
      this.#endProcessing()
      if (isRefusal(err)) {
        // the request was refused (invalid, unknown, denied, over a limit): the asker hears why,
        // and the actor goes on with the state it had; a bad request never restarts anything
        this.#refused(err, current)
        this.#schedule()
        return
      }
      this.#failed(err, current)
      return
    }
    if (incarnation !== this.#incarnation) return
    this.#count(handled)
    this.#endProcessing()
    if (this.#status !== 'running') return
    if (sliceSpent && (mailbox.length > 0 || signals.length > 0)) {
      // yield to I/O and to other actors, then go on
      this.#scheduled = true
      setImmediate(this.#turn)
      return
    }
    const request = this.#stopRequest
    if (request?.type === 'normal') {
      this.#stopRequest = undefined
      this.#exit(request)
    } else if (request !== undefined && mailbox.length === 0 && signals.length === 0) {
      this.#stopRequest = undefined
      this.#idleStop()
    } else {
      this.#schedule()
    }
  }

  /** Counted once per turn rather than per message (the hot loop stays lean). */
  #count (handled: number): void {
    this.#activity += handled
    this.#kernel.stats.messagesProcessed += handled
  }

  #endProcessing (): void {
    this.#processing = false
    const waiters = this.#settledWaiters
    this.#settledWaiters = []
    for (const wake of waiters) wake()
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Runs init for the first time. Resolves when it finished or failed. */
  start (): Promise<void> {
    this.#kernel.stats.actorStarted(this.kind)
    this.#started = this.#runInit()
    return this.#started
  }

  get started (): Promise<void> { return this.#started }

  async #runInit (): Promise<void> {
    const incarnation = this.#incarnation
    this.#processing = true
    this.#initialized = false
    let state: S
    try {
      const init = this.#behavior.init
      state = init === undefined ? undefined as S : await init(this.#ctx)
    } catch (err) {
      if (incarnation !== this.#incarnation) return
      this.#endProcessing()
      this.#failed(err, undefined)
      return
    }
    if (incarnation !== this.#incarnation) return
    this.#state = state
    this.#initialized = true
    this.#endProcessing()
    if (this.#status !== 'starting') return
    this.#status = 'running'
    this.#armIdle()
    this.#schedule()
  }

  /** A handler refused its message by throwing a refusal (see isRefusal): its ask is rejected with
   * the error; nothing else happens. */
  #refused (error: unknown, msg: M | undefined): void {
    const { stats, log } = this.#kernel
    stats.refusals++
    const replyTo = replyToOf(msg)
    if (replyTo !== undefined) this.#kernel.reply(replyTo, { error })
    log.debug({ actor: this.path, err: error }, `${this.path} refused a message: ${describe(error)}`)
  }

  /** A handler or init threw (or `ctx.crash`): drop the message, reject its ask, tell the parent. */
  #failed (error: unknown, msg: M | undefined): void {
    const { stats, log } = this.#kernel
    const replyTo = replyToOf(msg)
    if (replyTo !== undefined) this.#kernel.reply(replyTo, { error })
    // already on its way out (a second error of the same crash): nothing more to decide
    if (this.#status !== 'running' && this.#status !== 'starting') return
    stats.failures++
    // an entity a newer owner took (its journal was fenced) is not a fault here: it stops, said
    // once, without a stack (see #supervise)
    if (this.restart === 'transient' && isSuperseded(error)) log.info({ actor: this.path }, `${this.path} stops here: ${this.#initialized ? 'a newer owner took it' : 'it is another node\'s before it started'} (${describe(error)})`)
    // an entity that could not start because what it needs is unavailable (its journal's replicas:
    // the node logs its write quorum once per change) stops, and its next message tries again: not
    // a warning with a stack at every try
    else if (this.restart === 'transient' && !this.#initialized && kindOf(error) === 'unavailable') log.debug({ actor: this.path, reason: describe(error) }, `${this.path} could not start: ${describe(error)}`)
    else log.warn({ actor: this.path, err: error }, `actor ${this.path} failed: ${describe(error)}`)
    this.#exit({ type: 'failed', error })
  }

  /** The actor ends on its own (crash or ctx.stop()): it waits, suspended, for its parent. */
  #exit (reason: ExitReason): void {
    this.#status = 'suspended'
    this.#timers.cancelAll()
    this.#disarmIdle()
    const parent = this.#parent
    if (parent !== undefined) parent.#childExited(this, reason)
  }

  #idleStop (): void {
    if (this.#hooks.onIdle?.() === false) {
      this.#armIdle()
      return
    }
    void this.finalize({ type: 'idle' })
  }

  #armIdle (): void {
    if (this.#idleMs === undefined) return
    this.#disarmIdle()
    this.#activityAtArm = this.#activity
    this.#idleTimer = setTimeout(this.#idleCheck, this.#idleMs)
    this.#idleTimer.unref()
  }

  #disarmIdle (): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
  }

  readonly #idleCheck = (): void => {
    this.#idleTimer = undefined
    if (this.#status !== 'running') return
    if (this.#processing || this.#mailbox.length > 0 || this.#activity !== this.#activityAtArm) {
      this.#armIdle()
      return
    }
    this.#idleStop()
  }

  /** Puts the actor at rest: no new message is taken, the in-flight one is awaited (at most
   * `shutdown` ms), timers and children are stopped, onStop runs. The mailbox is kept. */
  async #quiesce (reason: ExitReason, final: boolean): Promise<void> {
    if (final) this.#status = 'stopping'
    else if (this.#status !== 'stopping' && this.#status !== 'stopped') this.#status = 'suspended'
    this.#timers.cancelAll()
    this.#disarmIdle()
    this.#backoff?.wake()
    await this.#awaitInFlight()
    await this.#stopChildren()
    this.#deathwatch.unlinkAll(this)
    if (this.#initialized) {
      this.#initialized = false
      try {
        await this.#behavior.onStop?.(this.#state, reason, this.#ctx)
      } catch (err) {
        this.#kernel.log.warn({ actor: this.path, err }, `onStop of ${this.path} threw: ${describe(err)}`)
      }
    }
  }

  #awaitInFlight (): Promise<void> {
    if (!this.#processing) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // give up on the handler: its result, whenever it comes, belongs to a dead incarnation
        this.#kernel.log.warn({ actor: this.path, shutdownMs: this.#shutdownMs },
          `${this.path}: handler still running after ${this.#shutdownMs} ms; stopping without it`)
        this.#incarnation++
        this.#endProcessing()
      }, this.#shutdownMs)
      this.#settledWaiters.push(() => { clearTimeout(timer); resolve() })
    })
  }

  /** Stops every child, right to left (the system's terminate uses it on the root). */
  finalizeChildren (): Promise<void> { return this.#stopChildren() }

  async #stopChildren (): Promise<void> {
    for (const child of [...this.#children].reverse()) await child.finalize({ type: 'shutdown' })
  }

  async #restartInPlace (): Promise<void> {
    this.#kernel.stats.restarts++
    this.#incarnation++
    this.#status = 'starting'
    this.#stopRequest = undefined
    this.#signals.length = 0
    this.#started = this.#runInit()
    await this.#started
  }

  /** Stops the actor for good (idempotent): quiesce, then dead-letter what is left, tell the
   * watchers, leave the parent. */
  finalize (reason: ExitReason): Promise<void> {
    this.#finalized ??= this.#doFinalize(reason)
    return this.#finalized
  }

  async #doFinalize (reason: ExitReason): Promise<void> {
    const parent = this.#parent
    if (parent !== undefined && parent.#childNames.get(this.name) === this) parent.#childNames.delete(this.name)
    await this.#quiesce(reason, true)
    this.#status = 'stopped'
    this.#kernel.stats.actorStopped(this.kind)
    const cause = reason.type === 'failed' ? reason.error : undefined
    for (const msg of this.#mailbox.drain()) this.#deadLetter(msg, cause)
    this.#signals.length = 0
    this.#deathwatch.notifyWatchers((watcher, watch) => { watcher.#notifyTerminated(this, reason, watch) })
    if (parent !== undefined) {
      parent.#children.delete(this)
      parent.#childRestarts.delete(this)
    }
    this.#hooks.onTerminated?.(reason)
  }

  // ---- supervision --------------------------------------------------------------------------

  #childExited (child: AnyCell, reason: ExitReason): void {
    this.#supervising = this.#supervising
      .then(() => this.#supervise(child, reason))
      .catch((err: unknown) => {
        this.#kernel.log.error({ actor: this.path, err }, `supervision in ${this.path} failed: ${describe(err)}`)
      })
  }

  async #supervise (child: AnyCell, reason: ExitReason): Promise<void> {
    if (!this.#children.has(child) || child.#status !== 'suspended') return
    if (this.#status !== 'running' && this.#status !== 'starting') {
      // we are going away ourselves: our own stop (or restart) finalizes the child
      return
    }
    const failed = reason.type === 'failed'
    const restart = reason.type !== 'idle' &&
      (child.restart === 'permanent' || (child.restart === 'transient' && failed))
    // a transient actor (an entity) that could not start because something it needs is
    // unavailable (its journal's replicas) stops instead of restarting in a loop: what waits for
    // it is told at once (UNAVAILABLE, retry), and its next message starts it afresh
    const unavailableAtStart = failed && child.restart === 'transient' && !child.#initialized && kindOf(reason.error) === 'unavailable'
    // a transient actor (an entity) whose journal a newer owner fenced stops for good: restarted in
    // place it would take the entity back with yet another epoch, and two nodes would pass it back
    // and forth until the restart intensity tripped (docs/replication.md, "Failover")
    const superseded = failed && child.restart === 'transient' && isSuperseded(reason.error)
    if (!restart || unavailableAtStart || superseded) {
      await child.finalize(reason)
      return
    }
    const flags = this.#flags
    const window = withRestart(flags.scope === 'child' ? this.#childRestarts.get(child) ?? [] : this.#restarts, performance.now(), flags.period)
    if (flags.scope === 'child') this.#childRestarts.set(child, window)
    else this.#restarts = window
    if (window.length > flags.intensity) {
      this.#kernel.stats.escalations++
      const error = new SupervisorIntensityError(this.path === '' ? '/' : this.path, child.path,
        flags.intensity, flags.period, failed ? reason.error : `exit ${reason.type}`)
      this.#kernel.log.error({ actor: this.path, child: child.path, err: error }, error.message)
      if (flags.scope === 'child' || this.#parent === undefined) {
        await child.finalize({ type: 'failed', error })
        if (this.#parent === undefined) this.#kernel.escalated(error)
        return
      }
      // OTP: the supervisor stops every child, right to left, and fails; its parent decides
      await this.#stopChildren()
      this.#failed(error, undefined)
      return
    }
    const group = restartGroup(flags.strategy, [...this.#children], child)
    // the failed child is already down (as in OTP): clean it up first, then the rest of the
    // group right to left; temporary siblings are not restarted
    await child.#quiesce(reason, false)
    for (const sibling of [...group].reverse()) {
      if (sibling === child) continue
      if (sibling.restart === 'temporary') await sibling.finalize({ type: 'shutdown' })
      else await sibling.#quiesce({ type: 'shutdown' }, false)
    }
    await this.#sleep(backoffDelay(flags, window.length))
    for (const member of group) {
      if (this.#status !== 'running' && this.#status !== 'starting') return
      if (this.#children.has(member) && member.#status === 'suspended') await member.#restartInPlace()
    }
  }

  /** Backoff wait; a stop of this supervisor cuts it short. */
  #sleep (ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.#backoff = undefined
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.#backoff = { timer, wake }
    })
  }

  // ---- children and watches -----------------------------------------------------------------

  spawnChild<C, CS> (behavior: Behavior<C, CS>, options: SpawnOptions = {}, hooks: CellHooks = {},
    flagDefaults?: Partial<ResolvedFlags>): ActorCell<C, CS> {
    if (this.#status === 'stopping' || this.#status === 'stopped') throw new ActorStoppedError(this.path || '/')
    let name = options.name
    if (name === undefined) {
      name = `$${(this.#nextChildId++).toString(36)}`
    } else if (typeof name !== 'string' || name.length === 0 || name.length > ENTITY_KEY_MAX_LENGTH || ENTITY_KEY_FORBIDDEN.test(name)) {
      throw new InvalidNameError('actor name', String(name), `1-${ENTITY_KEY_MAX_LENGTH} characters, no '/', no control characters, not starting with '$'`)
    }
    if (this.#childNames.has(name)) throw new ActorNameTakenError(`${this.path}/${name}`)
    const cell = new ActorCell<C, CS>(this.#kernel, this, name, behavior, options, hooks, flagDefaults)
    this.#children.add(cell)
    this.#childNames.set(name, cell)
    void cell.start()
    return cell
  }

  watch (target: AnyCell, watch: Watch): void {
    if (target === this || this.#status === 'stopped') return
    if (target.#status === 'stopped') {
      this.#notifyTerminated(target, { type: 'shutdown' }, watch)
      return
    }
    this.#deathwatch.watch(this, target, watch)
  }

  unwatch (target: AnyCell): void { this.#deathwatch.unwatch(this, target) }

  #notifyTerminated (target: AnyCell, reason: ExitReason, watch: Watch): void {
    this.#deathwatch.forget(target)
    if (this.#status === 'stopping' || this.#status === 'stopped') return
    // the kernel's own notifications bypass the mailbox bound: they must not be lost
    if (watch !== undefined) this.#mailbox.force(watch.message as M)
    else this.#signals.push({ type: 'terminated', ref: target.ref as ActorRef<never>, reason })
    this.#schedule()
  }

  // ---- what the context asks of the cell ----------------------------------------------------

  /** Stop after the current message (reason 'normal'): `ctx.stop()`. */
  requestStop (): void {
    this.#stopRequest = { type: 'normal' }
    this.#schedule()
  }

  /** Crash as if a handler had thrown: `ctx.crash()`. */
  crash (error: unknown): void { this.#failed(error, undefined) }

  /** Asks the actor to stop when it is idle next: after the messages already queued. */
  requestIdleStop (): void {
    if (this.#stopRequest === undefined) this.#stopRequest = { type: 'idle' }
    this.#schedule()
  }
}

function isThenable<T> (value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** The cell behind a ref of this kernel (a ref to an entity or a remote actor is not one). */
function cellOf (ref: ActorRef<never>): AnyCell {
  const target = MessageRef.targetOf(ref)
  if (!(target instanceof ActorCell)) throw new TypeError(`${String(ref)} is not an actor of this system`)
  return target
}
