import type { MemberView } from './membership.ts'

/** How much of the cluster this node hears, by its own view. */
export interface ViewHealth {
  /** Members this node should hear, itself included: every member listed, but those whose
   * process is gone (its address refused a connection: it exited or crashed, on purpose or not,
   * a drained one included) and those that left (decommissioned) and are down. */
  readonly known: number
  /** Of them, those it hears, itself included: not down, and not telling it that its answers do
   * not reach them. */
  readonly reached: number
  /** It hears no more than half of them: it is the side of a cut that must not act as the
   * cluster (the other side may hold a majority; no two sides can both hold one). */
  readonly partial: boolean
}

/**
 * Whether this node's view is partial, from the other members as it sees them. A member whose
 * process is gone does not count: a cluster that loses processes (a crash, a kill, a drain that
 * exited) stays whole on the survivors however many were lost, because a gone process is told
 * apart from a silent one (its address refuses the connection). A member silent without that (a
 * cut network, a machine that vanished) counts: only a side holding a majority of the members it
 * knows has a whole view. An even split leaves both sides partial (neither takes the other's
 * entities); the members to count are never forgotten, so a cluster that silently loses a
 * majority of its machines stays partial until they are back (docs/operations.md).
 */
export function viewHealth (others: ReadonlyArray<Pick<MemberView, 'status' | 'gone' | 'unhearing' | 'left'>>): ViewHealth {
  let known = 1
  let reached = 1
  for (const m of others) {
    const down = m.status === 'down'
    if (down && (m.gone === true || m.left === true)) continue
    known++
    if (!down && m.unhearing !== true) reached++
  }
  return { known, reached, partial: reached * 2 <= known }
}
