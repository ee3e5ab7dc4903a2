/** What a replica did for owners and for repairs (ReplicaCore.stats; metrics read their sums). */
export interface ReplicaCoreStats {
  fences: number
  appends: number
  records: number
  staleRefusals: number
  mismatches: number
  /** Records filled by anti-entropy. */
  filled: number
  /** Missing or damaged records put back from another replica (anti-entropy, scrub), or taken at a
   * higher revision from it. */
  repaired: number
  /** Records replaced by a rewrite (a higher revision). */
  rewritten: number
  /** Trims taken (the floor raised). */
  trims: number
  /** Records dropped past an owner's head (truncate: an unacknowledged tail of an older epoch). */
  truncated: number
  /** Owners' requests refused for an older configuration version (docs/replication.md, "Roster versions"). */
  versionRefusals: number
}

/** How a replica keeps owners' leases (docs/replication.md, "Leases"). */
export interface ReplicaCoreOptions {
  /** How long a grant holds, on this replica's clock; 0 (the default): no leases (a node alone:
   * the owner is in this process). */
  readonly leaseMs?: number
  /** A monotonic clock in ms (this process's). @default performance.now */
  readonly clock?: () => number
  /** When this process started, on `clock`: leases granted before a restart are forgotten, so for
   * one lease after it no fence of an entity that had a promise is granted. @default clock() now */
  readonly startedAt?: number
  /** Told of each configuration version the replica stored (ReplicaVersions). */
  readonly versionRaised?: (partition: number, version: number) => void
}
