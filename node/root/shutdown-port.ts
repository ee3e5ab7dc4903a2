/**
 * The node's graceful stop for the parts that end it themselves (an admin's drain or
 * decommission of this node, asked through another member): bound once by startNode when the
 * running node exists.
 */
export class ShutdownPort {
  #stop: (() => Promise<void>) | undefined

  bind (stop: () => Promise<void>): void {
    if (this.#stop !== undefined) throw new Error('the shutdown port is bound already')
    this.#stop = stop
  }

  /** Stops the node (the same as SIGTERM). */
  async stop (): Promise<void> {
    if (this.#stop === undefined) throw new Error('the node is still starting: it cannot be stopped from inside yet')
    await this.#stop()
  }
}
