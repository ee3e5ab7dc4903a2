/**
 * The components of a running node, by name: what each part of the node gives as it starts and
 * what the parts after it read (js-libp2p's components). A part reads only what it declared it
 * needs, and the list of parts is checked against those declarations before anything starts
 * (node/part-list.ts), so a list out of order fails at once, naming the part and the component,
 * instead of a part reading a value that is not there yet.
 */
/** The components as one part sees them (Components.view). */
export interface PartComponents<P extends object> {
  get<K extends keyof P> (key: K): P[K]
  provide<K extends keyof P> (key: K, value: P[K], by: string): void
  has (key: keyof P): boolean
}

export class Components<P extends object> implements PartComponents<P> {
  readonly #values = new Map<keyof P, unknown>()
  readonly #givenBy = new Map<keyof P, string>()

  /** Components known before any part starts (configuration, identity, ports). */
  constructor (given: { readonly [K in keyof P]?: P[K] } = {}) {
    for (const key of Object.keys(given) as Array<keyof P>) this.provide(key, given[key] as P[keyof P], 'the node')
  }

  /** Gives `key` (once: a second part giving it is a wiring error). `by` names the part. */
  provide<K extends keyof P> (key: K, value: P[K], by: string): void {
    const before = this.#givenBy.get(key)
    if (before !== undefined) throw new ComponentWiringError(`${by} gives ${String(key)}, which ${before} gave already`)
    this.#values.set(key, value)
    this.#givenBy.set(key, by)
  }

  /** The component `key`; throws ComponentWiringError when no part gave it yet. */
  get<K extends keyof P> (key: K): P[K] {
    if (!this.#givenBy.has(key)) throw new ComponentWiringError(`${String(key)} was read before any part gave it`)
    return this.#values.get(key) as P[K]
  }

  /** Whether a part gave `key` yet. */
  has (key: keyof P): boolean {
    return this.#givenBy.has(key)
  }

  /**
   * What one part sees: it reads only the names it declared it needs and gives only those it
   * declared it gives (ComponentWiringError otherwise, naming the part), so a part's declaration
   * is what the list's check (checkPartList) can trust.
   */
  view (part: string, needs: ReadonlyArray<keyof P>, gives: ReadonlyArray<keyof P>): PartComponents<P> {
    const reads = new Set(needs)
    const writes = new Set(gives)
    return {
      get: <K extends keyof P>(key: K): P[K] => {
        if (!reads.has(key)) throw new ComponentWiringError(`${part} reads ${String(key)}, which it does not declare among its needs`)
        return this.get(key)
      },
      provide: <K extends keyof P>(key: K, value: P[K], by: string): void => {
        if (!writes.has(key)) throw new ComponentWiringError(`${part} gives ${String(key)}, which it does not declare among its gives`)
        this.provide(key, value, by)
      },
      has: (key: keyof P): boolean => this.has(key)
    }
  }

  /** The names given so far. */
  get given (): Array<keyof P> {
    return [...this.#givenBy.keys()]
  }
}

/** The parts of a node are wired wrong: a component read before it is given, or given twice.
 * A programming error, found when the node starts (and by the part list's spec). */
export class ComponentWiringError extends Error {
  override name = 'ComponentWiringError'
}
