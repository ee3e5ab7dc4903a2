/** How long one part's stop may take (a journal's last writes to replicas that no longer answer,
 * a listener that does not close): the node's stop is bounded, whatever a part waits for. */
export const PART_STOP_MS = 10_000

/**
 * The parts of a running node in start order, OTP style: each part starts after every part before
 * it, and they stop right to left. One list serves both a start that fails half-way (what started
 * is stopped, in reverse) and a graceful stop: the order can never differ between the two.
 */
export class Lifecycle {
  readonly #parts: Array<{ readonly id: string, readonly stop: () => Promise<unknown> }> = []
  readonly #log: { warn (obj: object, msg: string): void }
  readonly #partStopMs: number
  #stopping: Promise<void> | undefined

  /** `partStopMs`: how long one part's stop may take before the next one stops anyway
   * (@default PART_STOP_MS). */
  constructor (log: { warn (obj: object, msg: string): void }, opts: { partStopMs?: number } = {}) {
    this.#log = log
    this.#partStopMs = opts.partStopMs ?? PART_STOP_MS
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
        // the timer is not unref'd: while a part stops, the process waits for it (a stop that
        // waits on nothing but unref'd timers would otherwise end the process half-way, exit 13)
        let timer: ReturnType<typeof setTimeout> | undefined
        const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => { resolve('late') }, this.#partStopMs) })
        try {
          if (await Promise.race([part.stop(), late]) === 'late') {
            this.#log.warn({ part: part.id }, `stopping ${part.id} did not finish within ${this.#partStopMs} ms; stopping the rest`)
          }
        } catch (err) {
          this.#log.warn({ part: part.id, err }, `stopping ${part.id} failed: ${(err as Error).message}`)
        } finally {
          clearTimeout(timer)
        }
      }
    })()
    return this.#stopping
  }
}
