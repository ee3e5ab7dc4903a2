/**
 * Roster versions in the simulation (docs/replication.md, "Roster versions"; option
 * rosterVersions): the roster of the run is version 1, and its change of replica sets is version 2,
 * decided once and learnt by each node at its own time (at once, late, or only when a replica
 * refuses it). Every owner is planned under the version its node knows and carries it in its
 * fences, appends, truncates, leases, rewrites and trims (EntityLogOptions.version); the replicas
 * are the node's own (ReplicaCore's ReplicaVersions on the world's disk): each keeps the highest
 * version it has seen (durable: it survives a crash, unless it crashed before the write landed),
 * its node learning it, and refuses any of those from an owner of an older one, the sender's node
 * learning the newer version from the refusal (EntityLogOptions.newerVersion). An owner of
 * version v fences the set of v and the sets of the earlier versions (their hand-offs are never
 * known complete here), and its take needs, of each earlier set, all but fewer than min(W, F) of
 * its nodes' promises (EntityLogOptions.olderSets), until its node learnt the entity's hand-off
 * settled (settleRun in replication-sim.ts: version 2 stored on the old set, the new set pulled
 * from it clean, then each node learns it at its own time): then the set of version 2 alone.
 */

export class SimRosterVersions {
  /** The highest roster version each node knows (its own roster, and what its replica saw). */
  readonly #known = new Map<string, number>()
  /** The version each activation was planned under. */
  readonly #of = new Map<string, number>()
  /** The entities whose hand-off each node learnt settled (docs/replication.md, "When a hand-off is
   * settled": a roster version after 2 records it; each node learns it at its own time). */
  readonly #settled = new Map<string, Set<string>>()
  readonly #learnt: (node: string, version: number) => void

  constructor (nodes: readonly string[], learnt: (node: string, version: number) => void) {
    for (const n of nodes) this.#known.set(n, 1)
    this.#learnt = learnt
  }

  known (node: string): number { return this.#known.get(node) ?? 1 }

  /** The node knows `version` from now on (a roster journal entry read, a refusal, a ticket). */
  learn (node: string, version: number): void {
    if (version <= this.known(node)) return
    this.#known.set(node, version)
    this.#learnt(node, version)
  }

  /** Whether `node` learnt that `entity`'s hand-off settled: its owners fence the set of version 2
   * alone from then on. */
  settled (node: string, entity: string): boolean { return this.#settled.get(node)?.has(entity) === true }

  /** The node learns the settle (a roster version after 2: it learns 2 first, as it applies versions in order). */
  learnSettled (node: string, entity: string): void {
    this.learn(node, 2)
    const set = this.#settled.get(node) ?? new Set<string>()
    set.add(entity)
    this.#settled.set(node, set)
  }

  /** An activation planned under `version`. */
  plan (activation: string, version: number): void { this.#of.set(activation, version) }

  versionOf (activation: string): number | undefined { return this.#of.get(activation) }
}
