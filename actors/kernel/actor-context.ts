import type { ActorRef } from './actor-ref.ts'
import type { ActorContext, Behavior, SpawnOptions } from './behavior.ts'
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
 * the system's refs (never the system itself). Built once per cell.
 */
export function actorContext<M> (cell: ContextCell<M>, kernel: Kernel, timers: TimerScheduler<M>,
  cellOf: (ref: ActorRef<never>) => ContextCell<unknown>): ActorContext<M> {
  const { refs } = kernel
  return {
    self: cell.ref,
    node: kernel.node,
    entity: (type, key) => refs.entity(type, key),
    actorAt: (address) => refs.actorAt(address),
    lookup: (path) => refs.lookup(path),
    log: kernel.log,
    timers,
    spawn: (behavior, options) => cell.spawnChild(behavior, options).ref,
    startChild: async (behavior, options) => {
      const child = cell.spawnChild(behavior, options)
      await child.started
      return child.ref
    },
    children: () => cell.childRefs(),
    stop: (child) => {
      if (child === undefined) {
        cell.requestStop()
        return Promise.resolve()
      }
      const target = cellOf(child)
      if (target.parent !== cell) throw new TypeError(`${cell.path} can stop only itself or its own children, not ${target.path}`)
      return target.finalize({ type: 'shutdown' })
    },
    watch: (ref) => { cell.watch(cellOf(ref) as never, undefined) },
    watchWith: (ref, message) => { cell.watch(cellOf(ref) as never, { message }) },
    unwatch: (ref) => { cell.unwatch(cellOf(ref) as never) },
    reply: (to, value) => { kernel.reply(to, { value }) },
    fail: (to, error) => { kernel.reply(to, { error }) },
    crash: (error) => { cell.crash(error) }
  }
}
