import { earlierSetNodes } from './quorum.ts'
import type { OlderSet } from './entity-log-options.ts'

/** Whom a new activation fences besides the partition's replicas (docs/replication.md, "Former
 * holders"): nodes that may hold records of the journal that the replicas lack, or that an owner
 * whose view of the roster differs from this one's may write to. */
export interface FenceTargets {
  /** Asked with the replicas, each waited for until it answers or fails. */
  readonly formerHolders: string[]
  /** Possible holders known to be down: not asked, each counted as one that did not answer. */
  readonly absentHolders: number
  /** What every storage node would be (the rule before former holders were recorded): asked when
   * a replica answers as a learner (still catching up: its set does not hold the partition whole
   * yet, so any storage node may hold what it lacks). Absent when the targets already are that. */
  readonly widen?: { readonly formerHolders: string[], readonly absentHolders: number }
}

export interface FenceTargetsInput {
  readonly self: string
  readonly replicas: readonly string[]
  /** Every storage node this node knows (leaving and replaced ones included). */
  readonly known: readonly string[]
  /** The members heard and not down; undefined: every one is taken as up. */
  readonly live: ReadonlySet<string> | undefined
  /** Known nodes whose records are all held elsewhere (replaced; leaving and down). */
  readonly holdsNothing: ((peerId: string) => boolean) | undefined
  /** The partition's recorded former holders; undefined: not known here (fall back to every node). */
  readonly recorded: readonly string[] | undefined
  /** The storage node that ranks next after the replicas: a replica of the set that an owner whose
   * view is one roster change apart from this one (a node leaving or replaced there and not yet
   * here, or the other way round) writes to. */
  readonly next: string | undefined
}

/** The former holders an activation fences, and how many possible holders are down. */
export function fenceTargets (input: FenceTargetsInput): FenceTargets {
  const { self, replicas, known, live, holdsNothing, recorded, next } = input
  const up = (n: string): boolean => live === undefined || n === self || live.has(n)
  const split = (nodes: readonly string[]): { formerHolders: string[], absentHolders: number } => ({
    formerHolders: nodes.filter(up),
    // one that is down is not asked (it would only be waited for), but it may hold records all the
    // same, unless its records are known to be elsewhere
    absentHolders: nodes.filter((n) => !up(n) && holdsNothing?.(n) !== true).length
  })
  const others = known.filter((n) => !replicas.includes(n))
  const every = split(others)
  if (recorded === undefined) return every
  // only nodes still known: one forgotten handed everything off
  const narrow = split(others.filter((n) => recorded.includes(n) || n === next))
  return narrow.formerHolders.length === every.formerHolders.length && narrow.absentHolders === every.absentHolders ? every : { ...narrow, widen: every }
}

/** An earlier replica set of a partition not yet settled, at the write quorum it was written at. */
export interface EarlierTarget extends OlderSet {}

export interface VersionedTargetsInput {
  readonly self: string
  readonly replicas: readonly string[]
  /** The partition's earlier sets not settled under the version the take carries. */
  readonly earlier: readonly EarlierTarget[]
  /** The members heard and not down; undefined: every one is taken as up. */
  readonly live: ReadonlySet<string> | undefined
  /** Every storage node the version names: a node of an earlier set that it no longer names was
   * forgotten (decommissioned: it handed everything off, and can join no quorum again). */
  readonly known: ReadonlySet<string>
  /** Known nodes whose records are all held elsewhere (replaced; leaving and down): not counted as
   * unread when down, as for the every-node rule. */
  readonly holdsNothing: ((peerId: string) => boolean) | undefined
  /** Known nodes replaced (lost for good): left out of each set, counted as its `lost`. */
  readonly replaced?: (peerId: string) => boolean
}

/**
 * Whom an activation under a configuration version fences besides its replicas (docs/replication.md,
 * "Which nodes a take fences"): the nodes of the partition's earlier sets not yet settled (one that is
 * down is not asked and counts as unread), and each of those sets, for rule 3 (`olderSets`). With
 * none, the replicas alone: R nodes.
 */
export function versionedTargets (input: VersionedTargetsInput): FenceTargets & { readonly olderSets: readonly OlderSet[] } {
  const { self, replicas, earlier, live, known, holdsNothing, replaced } = input
  const up = (n: string): boolean => live === undefined || n === self || live.has(n)
  // (a node forgotten is left out of each set: it handed everything off and can be in no quorum of
  // it any more, so the rest of the set decides, at the set's own W; one replaced is left out too,
  // lost for good, and counted: what it alone held with unread nodes is what rule 3 must not miss)
  const sets = earlier
    .map((s) => ({ ...earlierSetNodes(s.nodes, (n) => known.has(n), (n) => replaced?.(n) === true), writeQuorum: s.writeQuorum }))
    .filter((s) => s.nodes.length > 0)
  const others = [...new Set(sets.flatMap((s) => s.nodes))].filter((n) => !replicas.includes(n))
  return {
    formerHolders: others.filter(up),
    absentHolders: others.filter((n) => !up(n) && holdsNothing?.(n) !== true).length,
    olderSets: sets
  }
}
