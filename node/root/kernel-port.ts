import type { ActorSystem } from '../../actors/index.ts'

/**
 * The kernel for the journal: an entity's journal reaches its remote replicas through the actor
 * system (their shard holders), while the actor system persists through the journal. The journal
 * is built first with this port, and the actors part binds the system to it once it exists.
 */
export class KernelPort {
  #system: ActorSystem | undefined

  /** Binds the actor system (once). */
  bind (system: ActorSystem): void {
    if (this.#system !== undefined) throw new Error('the kernel port is bound already')
    this.#system = system
  }

  /** The actor system; a journal that reaches a replica before the actors part started is a
   * wiring error. */
  system (): ActorSystem {
    if (this.#system === undefined) throw new Error('the actor system is not running yet: a journal reached a remote replica before the actors part started')
    return this.#system
  }
}
