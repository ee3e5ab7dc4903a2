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
}
