/**
 * A FIFO ring buffer with a hard capacity: O(1) push and shift, no reallocation after it has grown
 * to its peak depth (it starts small so that a million idle actors cost little). The ring's size
 * is a power of two so that wrapping is a mask, not a division.
 */
export class BoundedQueue<T> {
  readonly capacity: number
  #items: Array<T | undefined>
  #head = 0
  #length = 0

  constructor (capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
    this.#items = new Array(capacity < 16 ? 1 << Math.ceil(Math.log2(capacity)) : 16)
  }

  get length (): number { return this.#length }

  /** Adds at the tail; false (and nothing changes) when full. */
  push (item: T): boolean {
    if (this.#length >= this.capacity) return false
    if (this.#length === this.#items.length) this.#grow()
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item
    this.#length++
    return true
  }

  /** Adds at the tail even past capacity: only for messages the kernel itself must not lose. */
  force (item: T): void {
    if (this.#length === this.#items.length) this.#grow()
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item
    this.#length++
  }

  shift (): T | undefined {
    if (this.#length === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) & (this.#items.length - 1)
    this.#length--
    return item
  }

  /** Removes and returns everything, oldest first. */
  drain (): T[] {
    const out: T[] = []
    while (this.#length > 0) out.push(this.shift() as T)
    return out
  }

  #grow (): void {
    const size = this.#items.length
    const next = new Array<T | undefined>(size * 2)
    for (let i = 0; i < this.#length; i++) next[i] = this.#items[(this.#head + i) & (size - 1)]
    this.#items = next
    this.#head = 0
  }
}
