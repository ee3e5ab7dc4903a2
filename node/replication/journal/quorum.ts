/**
 * The quorums of replication (docs/replication.md): W replicas acknowledge a write; F promise an
 * epoch, with F = max(majority, R − W + 1), so that every acknowledged write is on a replica of
 * every fence quorum (W + F > R) and two owners never hold one epoch (F + F > R).
 */
export function fenceQuorum (replicas: number, writeQuorum: number): number {
  return Math.max(Math.floor(replicas / 2) + 1, replicas - writeQuorum + 1)
}

/**
 * Rule 3 for an earlier replica set (docs/replication.md, "Which nodes a take fences"): whether
 * promises from all of its `nodes` but `unread` hold it, fewer than min(W, F) unread (F the set's
 * fence quorum), where `lost` more of its nodes were replaced (lost for good: they take no write
 * and are read by no one). A record on unread nodes and lost ones alone may be acknowledged, so with
 * any unread, fewer than W of them and the lost together.
 */
export function holdsEarlierSet (nodes: number, lost: number, unread: number, writeQuorum: number): boolean {
  return unread < Math.min(writeQuorum, fenceQuorum(nodes + lost, writeQuorum)) && (unread === 0 || unread + lost < writeQuorum)
}

/** An earlier set's nodes as a take or a settle counts them: those the roster still names and has
 * not replaced, and how many it replaced (`lost`); a node it forgot (decommissioned: it handed
 * everything off) is left out of both. */
export function earlierSetNodes (nodes: readonly string[], known: (node: string) => boolean, replaced: (node: string) => boolean): { nodes: string[], lost: number } {
  const named = nodes.filter(known)
  return { nodes: named.filter((n) => !replaced(n)), lost: named.filter(replaced).length }
}

/** A majority of R: the default write quorum. */
export function majority (replicas: number): number {
  return Math.floor(replicas / 2) + 1
}

/** The write quorum an earlier set of a partition (roster/partition-configs.ts) was written at:
 * version 0's (every node of roster version 1) is the partition's own, its owners having written to
 * R-node sets of their views; any other's, the configured one (@default a majority) capped by its
 * size, as Placements gives a set. */
export function earlierWriteQuorum (set: { readonly version: number, readonly nodes: readonly string[] }, partitionW: number, configuredW: number | undefined): number {
  if (set.version === 0) return partitionW
  const n = set.nodes.length
  return Math.min(configuredW ?? majority(n), n)
}

/** Whether two replica sets name the same nodes. */
export function sameNodes (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const s = new Set(a)
  return b.every((x) => s.has(x))
}
