/**
 * The order of one replica's work per entity: requests of one entity run one at a time, in the
 * order they came; different entities' run side by side (their writes share the disk's group
 * commit). A batch that reads several entities at once runs after each one's earlier requests and
 * before its later ones.
 *
 * Every request of every replica passes here, so it chains no promises to keep the order (three
 * a request, each a turn of the microtask queue): an entity with work running has a list of what
 * waits, and work starts at once, in the caller's turn, when its entity has none running.
 */
/** An entity's line: whether work of it runs now, and what waits behind it (in order). */
interface Line {
  running: boolean
  readonly waiting: Array<() => void>
}

/** Idle lines kept before they are swept (and only while they are at least half of all lines). */
const IDLE_LINES = 1_024

export class EntityTurns {
  /** The lines of the entities that had work lately: an idle one stays until a sweep, so that an
   * entity busy again soon does not add to and remove from the map each time. */
  readonly #lines = new Map<string, Line>()
  #idle = 0

  /** Runs `fn` after every request of the entity before it (one entity's requests run in order). */
  inTurn<T> (entity: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => { this.#run(fn, [entity], resolve, reject) }
      if (this.#take(entity, start)) start()
    })
  }

  /** Runs `fn` after every request of each of these entities before it, and before any after it. */
  inTurns<T> (entities: readonly string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(entities)]
    if (unique.length === 1) return this.inTurn(unique[0] as string, fn)
    // (no entity: nothing to wait for)
    if (unique.length === 0) return new Promise<T>((resolve, reject) => { this.#run(fn, unique, resolve, reject) })
    return new Promise<T>((resolve, reject) => {
      // its place is taken in every entity's line at once: two batches never wait for each other
      let missing = unique.length
      const ready = (): void => { if (--missing === 0) this.#run(fn, unique, resolve, reject) }
      for (const entity of unique) if (this.#take(entity, ready)) ready()
    })
  }

  /** Entities with work running or waiting now. */
  get queued (): number { return this.#lines.size - this.#idle }

  /** True when the entity's turn is the caller's now; otherwise `next` runs when it comes. */
  #take (entity: string, next: () => void): boolean {
    const line = this.#lines.get(entity)
    if (line === undefined) {
      this.#lines.set(entity, { running: true, waiting: [] })
      return true
    }
    if (line.running) {
      line.waiting.push(next)
      return false
    }
    line.running = true
    this.#idle--
    return true
  }

  #run<T> (fn: () => Promise<T>, entities: readonly string[], resolve: (value: T) => void, reject: (err: unknown) => void): void {
    let work: Promise<T>
    try {
      work = fn()
    } catch (err) {
      work = Promise.reject(err)
    }
    // the next work of each entity starts before this work's caller goes on
    work.then((value) => { this.#done(entities); resolve(value) }, (err: unknown) => { this.#done(entities); reject(err) })
  }

  #done (entities: readonly string[]): void {
    for (const entity of entities) {
      const line = this.#lines.get(entity) as Line
      const next = line.waiting.shift()
      if (next !== undefined) {
        next()
        continue
      }
      line.running = false
      this.#idle++
    }
    if (this.#idle > IDLE_LINES && this.#idle * 2 > this.#lines.size) this.#sweep()
  }

  #sweep (): void {
    for (const [entity, line] of this.#lines) if (!line.running) this.#lines.delete(entity)
    this.#idle = 0
  }
}
