import { ComponentWiringError } from './components.ts'
import type { Components, PartComponents } from './components.ts'
import type { Lifecycle } from '../lifecycle.ts'

/** What a started part keeps: how to stop it. */
export interface Part {
  stop (): unknown
}

/**
 * One part of a node, as data: its name, the components it reads and gives, and how it starts
 * (OTP's child spec; js-libp2p's Startable). `start` reads only its `needs`, gives every name of
 * its `gives` (Components.provide) and returns how to stop what it started.
 */
export interface PartSpec<P extends object> {
  readonly id: string
  readonly needs: ReadonlyArray<keyof P>
  readonly gives: ReadonlyArray<keyof P>
  /** Whether this node runs the part at all (a node alone has no p2p host): a part that does not
   * run gives its components as undefined. @default always */
  readonly runs?: (c: PartComponents<P>) => boolean
  readonly start: (c: PartComponents<P>) => Part | Promise<Part>
}

/**
 * Checks that every part of `list` needs only components given before it (by `base`, the names
 * known before any part starts, or an earlier part), and that no two parts give one name.
 * Returns the problems, each naming the part and the component (none: the list is wired right).
 */
export function checkPartList<P extends object> (list: ReadonlyArray<PartSpec<P>>, base: ReadonlyArray<keyof P>): string[] {
  const given = new Map<keyof P, string>(base.map((k) => [k, 'the node']))
  const problems: string[] = []
  const ids = new Set<string>()
  for (const part of list) {
    if (ids.has(part.id)) problems.push(`two parts are named ${part.id}`)
    ids.add(part.id)
    for (const need of part.needs) if (!given.has(need)) problems.push(`${part.id} needs ${String(need)}, which no part before it gives`)
    for (const give of part.gives) {
      const before = given.get(give)
      if (before !== undefined) problems.push(`${part.id} gives ${String(give)}, which ${before} gives already`)
      given.set(give, part.id)
    }
  }
  return problems
}

/**
 * Starts the parts of `list` in order through `lifecycle` (which stops them right to left, for a
 * start that fails half-way and a graceful stop alike). The list is checked first; each part sees
 * only what it declared (Components.view); after it starts, every name it declared to give must
 * have been given (a part that does not run gives them as undefined).
 */
export async function startParts<P extends object> (lifecycle: Lifecycle, list: ReadonlyArray<PartSpec<P>>, components: Components<P>): Promise<void> {
  const problems = checkPartList(list, components.given)
  if (problems.length > 0) throw new ComponentWiringError(`the node's parts are wired wrong: ${problems.join('; ')}`)
  for (const spec of list) {
    const view = components.view(spec.id, spec.needs, spec.gives)
    if (spec.runs !== undefined && !spec.runs(view)) {
      for (const key of spec.gives) components.provide(key, undefined as P[typeof key], spec.id)
      continue
    }
    await lifecycle.start(spec.id, () => spec.start(view), async (part) => { await part.stop() })
    const missing = spec.gives.filter((k) => !components.has(k))
    if (missing.length > 0) throw new ComponentWiringError(`${spec.id} started without giving ${missing.map(String).join(', ')}`)
  }
}
