import { ActorNameTakenError } from './errors.ts'
import { checkPathSegment } from './path-segment.ts'
import type { ExitReason } from './behavior.ts'

/**
 * The children of one actor, in start order (a Set keeps insertion order, which the OTP
 * strategies and the right-to-left stop rely on), and their names. A name is held only while its
 * child is not stopping, so that a new child may take the name of one on its way out.
 */
export class CellChildren<C extends { finalize (reason: ExitReason): Promise<void> }> {
  readonly #all = new Set<C>()
  readonly #names = new Map<string, C>()
  #nextId = 0

  /** The name for a new child under `parentPath`: the one asked for (checked, and not taken), or
   * a generated `$<n>` (no asked-for name starts with '$'). */
  nameFor (asked: string | undefined, parentPath: string): string {
    if (asked === undefined) return `$${(this.#nextId++).toString(36)}`
    checkPathSegment('actor name', asked)
    if (this.#names.has(asked)) throw new ActorNameTakenError(`${parentPath}/${asked}`)
    return asked
  }

  add (name: string, child: C): void {
    this.#all.add(child)
    this.#names.set(name, child)
  }

  /** The live (not stopping) child of that name. */
  named (name: string): C | undefined { return this.#names.get(name) }

  has (child: C): boolean { return this.#all.has(child) }

  /** In start order. */
  list (): C[] { return [...this.#all] }

  get size (): number { return this.#all.size }

  /** `child` is stopping: its name is free again. */
  releaseName (name: string, child: C): void {
    if (this.#names.get(name) === child) this.#names.delete(name)
  }

  /** `child` has stopped for good. */
  remove (child: C): void { this.#all.delete(child) }

  /** Stops every child, right to left (OTP), each after the one started after it. */
  async stopAll (): Promise<void> {
    for (const child of [...this.#all].reverse()) await child.finalize({ type: 'shutdown' })
  }
}
