import type { Candidate } from '../../mesh/index.ts'
import { replicasOf } from '../partitioning.ts'
import { majority } from './quorum.ts'

/** The replicas of a partition (most preferred first) and the write quorum they use. */
export interface PartitionPlacement {
  readonly replicas: readonly string[]
  readonly writeQuorum: number
}

/**
 * The placement of each partition, kept while the roster stays the same: a rendezvous ranking
 * hashes the partition with every storage node, and metrics, catch-up, anti-entropy and search ask
 * for every partition in turn (256 rankings: tens of ms of CPU on a busy node, each time).
 */
export class Placements {
  #kept: { key: string, byPartition: Map<number, PartitionPlacement> } = { key: '', byPartition: new Map() }

  /** Any partition's placement under `roster` (looked at once here, not per partition), with
   * `replicationFactor` replicas at most and `writeQuorum` (@default a majority of them). */
  under (roster: readonly Candidate[], replicationFactor: number, writeQuorum: number | undefined): (partition: number) => PartitionPlacement {
    let key = ''
    for (const c of roster) key += `${c.peerId}:${c.capacity};`
    if (this.#kept.key !== key) this.#kept = { key, byPartition: new Map() }
    const { byPartition } = this.#kept
    const r = Math.min(replicationFactor, roster.length)
    const w = Math.min(writeQuorum ?? majority(r), r)
    return (partition) => {
      const known = byPartition.get(partition)
      if (known !== undefined) return known
      const placed: PartitionPlacement = Object.freeze({ replicas: Object.freeze(replicasOf(partition, roster, r)), writeQuorum: w })
      byPartition.set(partition, placed)
      return placed
    }
  }
}
