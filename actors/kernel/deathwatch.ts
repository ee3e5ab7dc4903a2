/** What a watcher asked to be told: a `terminated` signal (undefined) or its own message. */
export type Watch = { readonly message: unknown } | undefined

/**
 * The deathwatch links of one actor (as Akka keeps DeathWatch apart from ActorCell): who watches
 * it, and whom it watches. `C` is the cell type; each cell holds one Deathwatch, reached through
 * `deathwatchOf`. Links are dropped when either side stops.
 */
export class Deathwatch<C> {
  /** Who watches this actor, and what each wants to be told. */
  readonly #watchers = new Map<C, Watch>()
  /** Whom this actor watches. */
  readonly #watching = new Set<C>()
  readonly #of: (cell: C) => Deathwatch<C>

  constructor (deathwatchOf: (cell: C) => Deathwatch<C>) {
    this.#of = deathwatchOf
  }

  /** `self` (this Deathwatch's cell) watches `target`. */
  watch (self: C, target: C, watch: Watch): void {
    this.#of(target).#watchers.set(self, watch)
    this.#watching.add(target)
  }

  unwatch (self: C, target: C): void {
    this.#of(target).#watchers.delete(self)
    this.#watching.delete(target)
  }

  /** `target` stopped and told this cell: it is watched no longer. */
  forget (target: C): void { this.#watching.delete(target) }

  /** This cell stops: it watches nobody any more. */
  unlinkAll (self: C): void {
    for (const target of this.#watching) this.#of(target).#watchers.delete(self)
    this.#watching.clear()
  }

  /** This cell stopped for good: tells every watcher (once) and forgets them. */
  notifyWatchers (notify: (watcher: C, watch: Watch) => void): void {
    for (const [watcher, watch] of this.#watchers) notify(watcher, watch)
    this.#watchers.clear()
  }
}
