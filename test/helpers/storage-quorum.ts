import { WriteQuorum, majority, partitionOf, replicasOf } from '../../node/index.ts'

/** Partitions of the quorums made here: enough that every storage node holds some. */
const PARTITIONS = 16

/**
 * The write quorum a node sees over `storage` nodes (R = min(3, nodes), W a majority), those in
 * `live` heard and up (`self` counts as up whatever it says), by the placement a node uses. It
 * never looks on its own during a test (an hour between looks): state() reads it as it is.
 */
export function storageQuorum (self: string, storage: readonly string[], live: ReadonlySet<string>): WriteQuorum {
  const roster = storage.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
  const r = Math.min(3, roster.length)
  return new WriteQuorum({
    self,
    partitions: PARTITIONS,
    placement: (p) => ({ replicas: replicasOf(p, roster, r), writeQuorum: majority(r) }),
    partitionOf: (entity) => partitionOf(entity, PARTITIONS),
    live: () => live,
    log: { warn: () => undefined },
    intervalMs: 3_600_000
  })
}
