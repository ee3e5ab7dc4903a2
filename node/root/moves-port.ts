/** What the migration part binds: entities placed elsewhere now move there live. */
export interface MovesSource {
  /** Queues a live move of every entity now placed on another node; returns how many. */
  moveAway (trigger: 'rebalance' | 'drain'): number
}

/**
 * Moves for the mesh: the cluster asks for moves when its view changes, and it starts before the
 * migrator (which needs the cluster's transport and placement). Bound once by the migration part;
 * until then a view change moves nothing (no entity is active before the node is ready).
 */
export class MovesPort {
  #source: MovesSource | undefined

  bind (source: MovesSource): void {
    if (this.#source !== undefined) throw new Error('the moves port is bound already')
    this.#source = source
  }

  moveAway (trigger: 'rebalance' | 'drain'): number {
    return this.#source?.moveAway(trigger) ?? 0
  }
}
