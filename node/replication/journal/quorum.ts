/**
 * The quorums of replication (docs/replication.md): W replicas acknowledge a write; F promise an
 * epoch, with F = max(majority, R − W + 1), so that every acknowledged write is on a replica of
 * every fence quorum (W + F > R) and two owners never hold one epoch (F + F > R).
 */
export function fenceQuorum (replicas: number, writeQuorum: number): number {
  return Math.max(Math.floor(replicas / 2) + 1, replicas - writeQuorum + 1)
}

/** A majority of R: the default write quorum. */
export function majority (replicas: number): number {
  return Math.floor(replicas / 2) + 1
}
