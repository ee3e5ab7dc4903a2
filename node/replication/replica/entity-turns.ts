/**
 * The order of one replica's work per entity: requests of one entity run one at a time, in the
 * order they came; different entities' run side by side (their writes share the disk's group
 * commit). A batch that reads several entities at once runs after each one's earlier requests and
 * before its later ones.
 */
export class EntityTurns {
  /** The last piece of work of each entity with work queued (settled: never rejects). */
  readonly #queues = new Map<string, Promise<unknown>>()

  /** Runs `fn` after every request of the entity before it (one entity's requests run in order). */
  inTurn<T> (entity: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(entity) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    // the queue only orders: the caller gets this run's outcome from `run`
    const settled = run.catch(noop)
    this.#queues.set(entity, settled)
    // (settled never rejects: nothing to catch on the way out)
    void settled.then(() => { if (this.#queues.get(entity) === settled) this.#queues.delete(entity) })
    return run
  }

  /** Runs `fn` after every request of each of these entities before it, and before any after it. */
  inTurns<T> (entities: readonly string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(entities)]
    if (unique.length === 1) return this.inTurn(unique[0] as string, fn)
    const run = Promise.all(unique.map((entity) => this.#queues.get(entity))).then(fn)
    // as in inTurn: the queue only orders, and settled never rejects
    const settled = run.catch(noop)
    for (const entity of unique) this.#queues.set(entity, settled)
    void settled.then(() => { for (const entity of unique) if (this.#queues.get(entity) === settled) this.#queues.delete(entity) })
    return run
  }

  /** Entities with work queued now. */
  get queued (): number { return this.#queues.size }
}

function noop (): void {}
