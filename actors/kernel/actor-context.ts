import type { ActorAddress, ActorRef } from './actor-ref.ts'
import type { ActorContext, Behavior, SpawnOptions } from './behavior.ts'
import type { EntityRef } from './entity-ref.ts'
import type { EntityTypeKey } from './entity-type-key.ts'
import type { Logger } from './logger.ts'
import type { ReplyTo } from './reply-to.ts'
import type { Kernel } from './kernel.ts'
import type { TimerScheduler } from './timer-scheduler.ts'
import type { Watch } from './deathwatch.ts'

/** What the context needs of its cell (ActorCell implements it). */
export interface ContextCell<M> {
  readonly path: string
  readonly ref: ActorRef<M>
  readonly parent: ContextCell<unknown> | undefined
  spawnChild<C, CS> (behavior: Behavior<C, CS>, options?: SpawnOptions): { readonly ref: ActorRef<C>, readonly started: Promise<void> }
  childRefs (): Array<ActorRef<unknown>>
  /** Stop after the current message (reason 'normal'). */
  requestStop (): void
  finalize (reason: { type: 'shutdown' }): Promise<void>
  watch (target: never, watch: Watch): void
  unwatch (target: never): void
  crash (error: unknown): void
}

/**
 * The context handed to one actor's handlers: its self, its timers, its children and watches, and
 * the system's refs (never the system itself). Built once per cell: one object whose methods sit
 * on the class, not a closure per method per actor (an active entity keeps its context as long as
 * it lives, and every closure is more for the collector to copy).
 */
export function actorContext<M> (cell: ContextCell<M>, kernel: Kernel, timers: TimerScheduler<M>,
  cellOf: (ref: ActorRef<never>) => ContextCell<unknown>): ActorContext<M> {
  return new CellContext(cell, kernel, timers, cellOf)
}

class CellContext<M> implements ActorContext<M> {
  readonly self: ActorRef<M>
  readonly node: string
  readonly log: Logger
  readonly timers: TimerScheduler<M>
  readonly #cell: ContextCell<M>
  readonly #kernel: Kernel
  readonly #cellOf: (ref: ActorRef<never>) => ContextCell<unknown>

  constructor (cell: ContextCell<M>, kernel: Kernel, timers: TimerScheduler<M>, cellOf: (ref: ActorRef<never>) => ContextCell<unknown>) {
    this.self = cell.ref
    this.node = kernel.node
    this.log = kernel.log
    this.timers = timers
    this.#cell = cell
    this.#kernel = kernel
    this.#cellOf = cellOf
  }

  entity<T> (type: EntityTypeKey<T>, key: string): EntityRef<T> { return this.#kernel.refs.entity(type, key) }
  actorAt<T> (address: ActorAddress): ActorRef<T> { return this.#kernel.refs.actorAt(address) }
  lookup<T = unknown> (path: string): ActorRef<T> | undefined { return this.#kernel.refs.lookup(path) }
  spawn<C, CS> (behavior: Behavior<C, CS>, options?: SpawnOptions): ActorRef<C> { return this.#cell.spawnChild(behavior, options).ref }

  async startChild<C, CS> (behavior: Behavior<C, CS>, options?: SpawnOptions): Promise<ActorRef<C>> {
    const child = this.#cell.spawnChild(behavior, options)
    await child.started
    return child.ref
  }

  children (): Array<ActorRef<unknown>> { return this.#cell.childRefs() }

  stop (child?: ActorRef<never>): Promise<void> {
    const cell = this.#cell
    if (child === undefined) {
      cell.requestStop()
      return Promise.resolve()
    }
    const target = this.#cellOf(child)
    if (target.parent !== cell) throw new TypeError(`${cell.path} can stop only itself or its own children, not ${target.path}`)
    return target.finalize({ type: 'shutdown' })
  }

  watch (ref: ActorRef<never>): void { this.#cell.watch(this.#cellOf(ref) as never, undefined) }
  watchWith (ref: ActorRef<never>, message: M): void { this.#cell.watch(this.#cellOf(ref) as never, { message }) }
  unwatch (ref: ActorRef<never>): void { this.#cell.unwatch(this.#cellOf(ref) as never) }
  reply<R> (to: ReplyTo<R>, value: R): void { this.#kernel.reply(to, { value }) }
  fail (to: ReplyTo<unknown>, error: unknown): void { this.#kernel.reply(to, { error }) }
  crash (error: unknown): void { this.#cell.crash(error) }
}
