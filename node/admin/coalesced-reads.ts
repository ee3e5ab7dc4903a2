/**
 * Reads of the cluster that gather from every member (the actors on each, every partition's
 * replicas, every member's jobs) coalesced per key: one gather runs at a time, and every read that
 * arrives while it runs is answered by the next one, which starts as soon as it ends. So each
 * answer was gathered after its request arrived (a client that changed something and then reads
 * sees its change, as it would alone), and a burst of reads (dashboards open in many browsers, a
 * script polling) costs the members one gather per round trip rather than one per read: fifty
 * reads at once asked every member fifty times, each in the queue of the others.
 */
export class CoalescedReads<T> {
  readonly #keys = new Map<string, { running: Promise<T>, next: Promise<T> | undefined }>()

  /** The answer of a `gather` started after this call (this one, or that of a read with the same
   * key that arrived while the last gather ran). */
  read (key: string, gather: () => Promise<T>): Promise<T> {
    const entry = this.#keys.get(key)
    if (entry === undefined) return this.#start(key, gather)
    entry.next ??= entry.running.then(noop, noop).then(async () => await this.#start(key, gather))
    return entry.next
  }

  #start (key: string, gather: () => Promise<T>): Promise<T> {
    let running: Promise<T>
    try {
      running = gather()
    } catch (err) {
      running = Promise.reject(err)
    }
    const entry = { running, next: undefined }
    this.#keys.set(key, entry)
    const done = (): void => { if (this.#keys.get(key) === entry && entry.next === undefined) this.#keys.delete(key) }
    running.then(done, done)
    return running
  }
}

function noop (): void {}
