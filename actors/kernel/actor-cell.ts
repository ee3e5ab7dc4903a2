import { ActorRef } from './actor-ref.ts'
import { actorContext } from './actor-context.ts'
import { MessageRef } from './message-ref.ts'
import { CellChildren } from './cell-children.ts'
import { isStopping, isUp } from './cell-status.ts'
import { DEFAULT_SHUTDOWN_MS } from './constants.ts'
import { Deathwatch } from './deathwatch.ts'
import { ActorStoppedError, isSuperseded } from './errors.ts'
import { FaultHandling } from './fault-handling.ts'
import { IdleTimer } from './idle-timer.ts'
import { Mailbox } from './mailbox.ts'
import { describe, isRefusal, kindOf } from '../../protocols/index.ts'
import { replyToOf } from './reply-to.ts'
import { resolveFlags } from './supervision-flags.ts'
import { TimerScheduler } from './timer-scheduler.ts'
import type { ActorContext, Behavior, ExitReason, RestartType, SpawnOptions, SupervisionFlags } from './behavior.ts'
import type { ContextCell } from './actor-context.ts'
import type { CellStatus } from './cell-status.ts'
import type { Watch } from './deathwatch.ts'
import type { Kernel } from './kernel.ts'
import type { MailboxOwner } from './mailbox.ts'
import type { Deliverer, DeliveryResult } from './pending-asks.ts'
import type { ResolvedFlags } from './supervision-flags.ts'

/** Kernel-internal hooks (the entity host uses them). */
export interface CellHooks {
  /** Called synchronously when the actor is about to stop for idleness; false keeps it running. */
  onIdle?: () => boolean
  /** Called once, when the actor has stopped for good. */
  onTerminated?: (reason: ExitReason) => void
}

export interface ActorInfo {
  readonly path: string
  readonly kind: string
  readonly status: CellStatus
  readonly mailbox: number
  readonly children: number
}

type AnyCell = ActorCell<any, any>

/**
 * The runtime of one actor: its mailbox and the loop that drains it, its state and its lifecycle.
 * An ActorRef is the outside's only handle on it. Its children (cell-children.ts), their
 * supervision (fault-handling.ts), its watches (deathwatch.ts) and its idle timer (idle-timer.ts)
 * are nouns of their own.
 */
export class ActorCell<M, S> implements Deliverer<M>, ContextCell<M> {
  readonly path: string
  readonly name: string
  readonly kind: string
  readonly restart: RestartType
  readonly capacity: number
  readonly ref: ActorRef<M>
  readonly children = new CellChildren<AnyCell>()
  readonly #kernel: Kernel
  readonly #parent: AnyCell | undefined
  readonly #behavior: Behavior<M, S>
  readonly #faults: FaultHandling<AnyCell>
  readonly #shutdownMs: number
  readonly #hooks: CellHooks
  readonly #mailbox: Mailbox<M, S>
  readonly #timers: TimerScheduler<M>
  readonly #idle: IdleTimer
  readonly #ctx: ActorContext<M>
  #state: S = undefined as S
  #status: CellStatus = 'starting'
  /** Bumped on every restart and when a stop gives up on a handler: results of an older
   * incarnation are ignored. */
  #incarnation = 0
  #initialized = false
  readonly #deathwatch: Deathwatch<AnyCell> = new Deathwatch<AnyCell>((cell) => cell.#deathwatch)
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
    this.#faults = new FaultHandling<AnyCell>(this, kernel, resolveFlags(behavior.supervision, flagDefaults))
    this.#shutdownMs = options.shutdown ?? DEFAULT_SHUTDOWN_MS
    this.#hooks = hooks
    // a timer's message is in no trace (a timer set while handling a traced message would carry
    // that trace to every tick): it is pushed untagged
    this.#timers = new TimerScheduler<M>((msg) => {
      if (this.#push(msg) === 'full') kernel.stats.tellsDropped++
    })
    this.#idle = new IdleTimer(options.idleTimeout, () => {
      if (this.#status !== 'running') return 'gone'
      return this.#mailbox.inFlight.running || this.#mailbox.length > 0 ? 'busy' : 'quiet'
    }, () => { this.#idleStop() })
    this.ref = new ActorRef<M>(kernel.node, this, kernel.asks, kernel.stats)
    this.#ctx = actorContext(this, kernel, this.#timers, cellOf)
    // last: the mailbox's owner hands it the context
    this.#mailbox = new Mailbox<M, S>(this.capacity, this.#mailboxOwner(), kernel.trace, this.path)
  }

  get parent (): AnyCell | undefined { return this.#parent }
  get isRoot (): boolean { return this.#parent === undefined }

  childRefs (): Array<ActorRef<unknown>> { return this.children.list().map((c) => c.ref) }

  get status (): CellStatus { return this.#status }
  get initialized (): boolean { return this.#initialized }

  /** Messages waiting in its mailbox. */
  get mailboxLength (): number { return this.#mailbox.length }

  info (): ActorInfo {
    return { path: this.path, kind: this.kind, status: this.#status, mailbox: this.#mailbox.length, children: this.children.size }
  }

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
    this.#kernel.trace?.tag(msg)
    return this.#push(msg)
  }

  #push (msg: M): DeliveryResult {
    if (isStopping(this.#status)) {
      this.#deadLetter(msg)
      return 'stopped'
    }
    return this.#mailbox.push(msg) ? 'ok' : 'full'
  }

  #deadLetter (msg: M, cause?: unknown): void {
    this.#kernel.stats.deadLetters++
    const replyTo = replyToOf(msg)
    if (replyTo !== undefined) this.#kernel.reply(replyTo, { error: new ActorStoppedError(this.path, cause) })
  }

  /** How the mailbox reaches this actor's state and lifecycle. */
  #mailboxOwner (): MailboxOwner<M, S> {
    return {
      behavior: this.#behavior,
      ctx: this.#ctx,
      running: () => this.#status === 'running',
      incarnation: () => this.#incarnation,
      state: () => this.#state,
      setState: (next) => { this.#state = next },
      handled: (n) => {
        this.#idle.handled(n)
        this.#kernel.stats.messagesProcessed += n
      },
      exit: (reason) => { this.#exit(reason) },
      idle: () => { this.#idleStop() },
      threw: (err, msg) => {
        if (!isRefusal(err)) {
          this.#failed(err, msg)
          return
        }
        // the request was refused (invalid, unknown, denied, over a limit): the asker hears why,
        // and the actor goes on with the state it had; a bad request never restarts anything
        this.#refused(err, msg)
        this.#mailbox.schedule()
      }
    }
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
    this.#mailbox.inFlight.begin()
    this.#initialized = false
    let state: S
    try {
      const init = this.#behavior.init
      state = init === undefined ? undefined as S : await init(this.#ctx)
    } catch (err) {
      if (incarnation !== this.#incarnation) return
      this.#mailbox.inFlight.end()
      this.#failed(err, undefined)
      return
    }
    if (incarnation !== this.#incarnation) return
    this.#state = state
    this.#initialized = true
    this.#mailbox.inFlight.end()
    if (this.#status !== 'starting') return
    this.#status = 'running'
    this.#idle.arm()
    this.#mailbox.schedule()
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
    if (!isUp(this.#status)) return
    stats.failures++
    // an entity a newer owner took (its journal was fenced) is not a fault here: it stops, said
    // once, without a stack (see FaultHandling)
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
    this.#idle.disarm()
    const parent = this.#parent
    if (parent !== undefined) parent.#faults.childExited(this, reason)
  }

  #idleStop (): void {
    if (this.#hooks.onIdle?.() === false) {
      this.#idle.arm()
      return
    }
    void this.finalize({ type: 'idle' })
  }

  /** Puts the actor at rest for a restart (see #quiesce). */
  suspend (reason: ExitReason): Promise<void> { return this.#quiesce(reason, false) }

  /** Puts the actor at rest: no new message is taken, the in-flight one is awaited (at most
   * `shutdown` ms), timers and children are stopped, onStop runs. The mailbox is kept. */
  async #quiesce (reason: ExitReason, final: boolean): Promise<void> {
    if (final) this.#status = 'stopping'
    else if (!isStopping(this.#status)) this.#status = 'suspended'
    this.#timers.cancelAll()
    this.#idle.disarm()
    this.#faults.wake()
    await this.#mailbox.inFlight.ended(this.#shutdownMs, () => {
      // give up on the handler: its result, whenever it comes, belongs to a dead incarnation
      this.#kernel.log.warn({ actor: this.path, shutdownMs: this.#shutdownMs },
        `${this.path}: handler still running after ${this.#shutdownMs} ms; stopping without it`)
      this.#incarnation++
    })
    await this.children.stopAll()
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

  /** Runs init again: a new incarnation with the same ref and mailbox. */
  async restartInPlace (): Promise<void> {
    this.#kernel.stats.restarts++
    this.#incarnation++
    this.#status = 'starting'
    this.#mailbox.restarted()
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
    parent?.children.releaseName(this.name, this)
    await this.#quiesce(reason, true)
    this.#status = 'stopped'
    this.#kernel.stats.actorStopped(this.kind)
    const cause = reason.type === 'failed' ? reason.error : undefined
    for (const msg of this.#mailbox.takeAll()) this.#deadLetter(msg, cause)
    this.#deathwatch.notifyWatchers((watcher, watch) => { watcher.#notifyTerminated(this, reason, watch) })
    if (parent !== undefined) {
      parent.children.remove(this)
      parent.#faults.forget(this)
    }
    this.#hooks.onTerminated?.(reason)
  }

  // ---- children and watches -----------------------------------------------------------------

  spawnChild<C, CS> (behavior: Behavior<C, CS>, options: SpawnOptions = {}, hooks: CellHooks = {},
    flagDefaults?: Partial<ResolvedFlags>): ActorCell<C, CS> {
    if (isStopping(this.#status)) throw new ActorStoppedError(this.path || '/')
    const name = this.children.nameFor(options.name, this.path)
    const cell = new ActorCell<C, CS>(this.#kernel, this, name, behavior, options, hooks, flagDefaults)
    this.children.add(name, cell)
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
    if (isStopping(this.#status)) return
    // the kernel's own notifications bypass the mailbox bound: they must not be lost
    if (watch !== undefined) this.#mailbox.force(watch.message as M)
    else this.#mailbox.signal({ type: 'terminated', ref: target.ref as ActorRef<never>, reason })
  }

  // ---- what the context asks of the cell ----------------------------------------------------

  /** Stop after the current message (reason 'normal'): `ctx.stop()`. */
  requestStop (): void { this.#mailbox.requestStop() }

  /** Crash as if a handler had thrown: `ctx.crash()`. */
  crash (error: unknown): void { this.#failed(error, undefined) }

  /** Asks the actor to stop when it is idle next: after the messages already queued. */
  requestIdleStop (): void { this.#mailbox.requestIdleStop() }
}

/** The cell behind a ref of this kernel (a ref to an entity or a remote actor is not one). */
function cellOf (ref: ActorRef<never>): AnyCell {
  const target = MessageRef.targetOf(ref)
  if (!(target instanceof ActorCell)) throw new TypeError(`${String(ref)} is not an actor of this system`)
  return target
}
