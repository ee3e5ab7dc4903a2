/**
 * The parts of a running node in start order, OTP style: each part starts after every part before
 * it, and they stop right to left. One list serves both a start that fails half-way (what started
 * is stopped, in reverse) and a graceful stop: the order can never differ between the two.
 */
export class Lifecycle {
  readonly #parts: Array<{ readonly id: string, readonly stop: () => Promise<unknown> }> = []
  readonly #log: { warn (obj: object, msg: string): void }
  #stopping: Promise<void> | undefined

  constructor (log: { warn (obj: object, msg: string): void }) {
    this.#log = log
  }

  /** Starts one part and remembers how to stop it; resolves with what `start` made. */
  async start<T> (id: string, start: () => T | Promise<T>, stop: (part: T) => unknown): Promise<T> {
    if (this.#stopping !== undefined) throw new Error(`cannot start ${id}: the node is stopping`)
    const part = await start()
    this.#parts.push({ id, stop: async () => { await stop(part) } })
    return part
  }

  /** The parts started so far, in start order. */
  get started (): string[] { return this.#parts.map((p) => p.id) }

  /** Stops every started part, right to left (idempotent). A part that fails to stop is logged and
   * the others still stop. */
  stop (): Promise<void> {
    this.#stopping ??= (async () => {
      for (const part of [...this.#parts].reverse()) {
        try {
          await part.stop()
        } catch (err) {
          this.#log.warn({ part: part.id, err }, `stopping ${part.id} failed: ${(err as Error).message}`)
        }
      }
    })()
    return this.#stopping
  }
}
