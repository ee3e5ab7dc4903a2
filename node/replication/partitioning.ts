import { createHash } from 'node:crypto'
import { rendezvousRanking } from '../mesh/index.ts'
import type { Candidate } from '../mesh/index.ts'

/** The partition of an entity: its id's SHA-256, first 4 bytes, mod P. Fixed for the cluster's
 * life, since P is. */
export function partitionOf (entityId: string, partitions: number): number {
  return createHash('sha256').update(entityId).digest().readUInt32BE(0) % partitions
}

/** The R replicas of a partition: the first R storage nodes of the roster by rendezvous hashing of
 * the partition (weighted by capacity, like placement), most preferred first. */
export function replicasOf (partition: number, roster: readonly Candidate[], replicationFactor: number): string[] {
  return rendezvousRanking(`partition/${partition}`, roster, replicationFactor)
}
