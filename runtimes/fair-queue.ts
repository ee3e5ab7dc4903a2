/**
 * Requests waiting for a model, one queue per user, served round-robin: a user who sends many
 * requests waits behind their own, and every other user's next request goes before their second.
 * Within one user's queue, first in, first out.
 */
export class FairQueue<T> {
  /** Users with requests waiting, in the order they are served next (the head is next). */
  readonly #rotation: string[] = []
  readonly #queues = new Map<string, T[]>()
  #length = 0

  get length (): number {
    return this.#length
  }

  push (user: string, item: T): void {
    const queue = this.#queues.get(user)
    if (queue !== undefined) {
      queue.push(item)
    } else {
      this.#queues.set(user, [item])
      // a user new to the queue goes last in the rotation
      this.#rotation.push(user)
    }
    this.#length++
  }

  /** The next item: the first of the user at the head of the rotation, who then goes last. */
  shift (): T | undefined {
    const user = this.#rotation.shift()
    if (user === undefined) return undefined
    const queue = this.#queues.get(user) ?? []
    const item = queue.shift()
    if (queue.length > 0) this.#rotation.push(user)
    else this.#queues.delete(user)
    this.#length--
    return item
  }

  /** Takes an item out wherever it waits; false if it was not there. */
  remove (item: T): boolean {
    for (const [user, queue] of this.#queues) {
      const at = queue.indexOf(item)
      if (at < 0) continue
      queue.splice(at, 1)
      if (queue.length === 0) {
        this.#queues.delete(user)
        this.#rotation.splice(this.#rotation.indexOf(user), 1)
      }
      this.#length--
      return true
    }
    return false
  }

  /** Every item, in the order they will be served if nothing else arrives. */
  order (): T[] {
    const queues = this.#rotation.map((user) => this.#queues.get(user) ?? [])
    const out: T[] = []
    for (let round = 0; out.length < this.#length; round++) {
      for (const queue of queues) {
        const item = queue[round]
        if (item !== undefined) out.push(item)
      }
    }
    return out
  }

  /** Takes every item out, in serving order. */
  drain (): T[] {
    const all = this.order()
    this.#queues.clear()
    this.#rotation.length = 0
    this.#length = 0
    return all
  }
}
