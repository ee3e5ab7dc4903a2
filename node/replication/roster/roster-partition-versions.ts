import type { EarlierSet, PartitionConfigs } from './partition-configs.ts'

/** What this reads of the storage roster (StorageRoster). */
export interface VersionedRoster {
  /** The roster version followed (undefined: none applied yet). */
  readonly version: number | undefined
  readonly configs: PartitionConfigs | undefined
}

/**
 * The partitions' configuration versions that owners on this node carry (the journal's
 * PartitionVersions: journal/partition-versions.ts), as the storage roster follows roster versions:
 * none while it follows none, `unknown` while it skipped versions and has not read the partitions'
 * from a member, and each partition's otherwise. A replica's refusal for a newer one is passed to
 * whoever catches the node up (`onNewer`: the roster follower).
 */
export class RosterPartitionVersions {
  readonly #roster: VersionedRoster
  #newer: ((version: number) => void) | undefined

  constructor (roster: VersionedRoster) {
    this.#roster = roster
  }

  of (partition: number): number | 'unknown' | undefined {
    const { version, configs } = this.#roster
    if (version === undefined || configs === undefined) return undefined
    return configs.version === version ? configs.of(partition) : 'unknown'
  }

  newer (_partition: number, version: number): void { this.#newer?.(version) }

  /** Partition p's earlier sets not settled, while its configuration version here is `version`. */
  earlierOf (partition: number, version: number): readonly EarlierSet[] | undefined {
    const { version: followed, configs } = this.#roster
    if (followed === undefined || configs === undefined || configs.version !== followed || configs.of(partition) !== version) return undefined
    return configs.earlierOf(partition)
  }

  /** Who is told of a newer version a replica named. */
  onNewer (listener: (version: number) => void): void { this.#newer = listener }
}
