/** The order users are listed in: the user directory's own (`localeCompare`), so that a list read
 * from a node's copy reads as the directory's did. */
const ORDER = new Intl.Collator()

/**
 * Names kept in the directory's order, for pages by a cursor: `after(name, limit)` answers in
 * O(log n + limit), whatever the number of names. Built at its first read (one sort), then kept
 * in order by each add and removal (a binary search and one splice: a memmove of the array, tens
 * of microseconds at 100,000 names) rather than sorted again at the next read.
 */
export class SortedNames {
  #names: string[] | undefined
  readonly #all: () => Iterable<string>

  /** `all`: every name, in any order (read once, at the first read). */
  constructor (all: () => Iterable<string>) {
    this.#all = all
  }

  add (name: string): void {
    const names = this.#names
    if (names === undefined) return
    const at = this.#search(names, name)
    if (names[at] !== name) names.splice(at, 0, name)
  }

  delete (name: string): void {
    const names = this.#names
    if (names === undefined) return
    const at = this.#search(names, name)
    if (names[at] === name) names.splice(at, 1)
  }

  /** The first `limit` names after `after` (every name when undefined) in order, and whether
   * more follow. */
  after (after: string | undefined, limit: number): { names: string[], more: boolean } {
    this.#names ??= [...this.#all()].sort(ORDER.compare)
    const names = this.#names
    let from = 0
    if (after !== undefined) {
      from = this.#search(names, after)
      if (names[from] === after) from++
    }
    const to = Math.min(names.length, from + limit)
    return { names: names.slice(from, to), more: to < names.length }
  }

  /** The index of the first name not before `name`. */
  #search (names: readonly string[], name: string): number {
    let lo = 0
    let hi = names.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (ORDER.compare(names[mid] as string, name) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
