import { VERSION_WAIT_MS } from '../constants.ts'
import { VersionBehindError } from '../lease-errors.ts'

/**
 * This node's partitions' configuration versions, as its owners carry them (docs/replication.md,
 * "Roster versions"; node/root/roster-parts.ts gives them from the storage roster).
 */
export interface PartitionVersions {
  /** Partition p's configuration version here: a number (carried by its owners), `unknown` (the node
   * follows roster versions but skipped some and has not read its partitions' versions from a member
   * yet), or undefined (it follows none: nothing is carried, as on a node alone). */
  of (partition: number): number | 'unknown' | undefined
  /** A replica refused an owner here for configuration version `version` of `partition`: the node
   * should catch up with the roster's versions now. */
  newer (partition: number, version: number): void
  /** Partition p's earlier replica sets not yet settled, when its configuration version here is
   * `version` (undefined: not known here: its owners fence every storage node). */
  earlierOf? (partition: number, version: number): ReadonlyArray<{ readonly version: number, readonly nodes: readonly string[] }> | undefined
}

export interface VersionPlansOptions {
  /** Waits `ms` (a timer that holds no stopping process open). */
  readonly sleep: (ms: number) => Promise<void>
  readonly now: () => number
  /** @default VERSION_WAIT_MS */
  readonly waitMs?: number
}

/** How often a take waiting for its node's versions looks again (ms). */
const LOOK_MS = 50

/**
 * Which configuration version each take is planned under, and when a plan is stale: a take plans
 * under its node's version of the partition, at least the newest one a replica refused an owner here
 * for (waiting, VERSION_WAIT_MS at most, until the node caught up with it), and plans again when the
 * node's version moves or a replica names a newer one.
 */
export class VersionPlans {
  readonly #versions: PartitionVersions | undefined
  readonly #opts: VersionPlansOptions
  /** The newest version a replica refused an owner here for, by partition (while above the node's). */
  readonly #heard = new Map<number, number>()
  /** Since when the node's versions have been unknown (undefined: they are known, or it follows none). */
  #unknownSince: number | undefined

  constructor (versions: PartitionVersions | undefined, opts: VersionPlansOptions) {
    this.#versions = versions
    this.#opts = opts
  }

  /** Whether owners here carry versions at all. */
  get on (): boolean { return this.#versions !== undefined }

  /** The version owners of `partition` carry now without waiting (undefined: none, or not known). */
  current (partition: number): number | undefined {
    const v = this.#versions?.of(partition)
    return v === 'unknown' ? undefined : v
  }

  /**
   * The version a take of `entityId` (of `partition`) is planned under: the node's, once known and
   * at least what a replica refused an owner here for. Undefined: none carried, also once the node's
   * versions have been unknown for the whole wait with no refusal heard (no member could tell them:
   * a cluster whose data dirs applied roster versions before configuration versions were kept;
   * carrying none is refused by any replica that stored one, so it is never unsafe). Rejects with
   * VersionBehindError after the wait.
   */
  async plan (entityId: string, partition: number): Promise<number | undefined> {
    const versions = this.#versions
    if (versions === undefined) return undefined
    const { now, sleep } = this.#opts
    const waitMs = this.#opts.waitMs ?? VERSION_WAIT_MS
    const started = now()
    for (;;) {
      const v = versions.of(partition)
      const heard = this.#heard.get(partition) ?? 0
      if (v !== 'unknown') this.#unknownSince = undefined
      if (v !== 'unknown' && (v ?? 0) >= heard) {
        if (heard > 0) this.#heard.delete(partition)
        return v
      }
      if (v === 'unknown') {
        this.#unknownSince ??= now()
        if (heard === 0 && now() - this.#unknownSince >= waitMs) return undefined
      }
      const waited = now() - started
      if (waited >= waitMs) {
        throw new VersionBehindError(entityId, v === 'unknown'
          ? 'this node does not know its partitions\' configuration versions yet (it skipped roster versions and reads them from a member)'
          : `a replica holds configuration version ${heard} of partition ${partition}, which this node has not applied (it has ${v ?? 'none'})`, waited)
      }
      await sleep(LOOK_MS)
    }
  }

  /** Whether a take planned under `planned` must plan again: the node's version of the partition
   * moved, or a replica named a newer one. */
  stale (partition: number, planned: number | undefined): boolean {
    if (this.#versions === undefined) return false
    const v = this.#versions.of(partition)
    // (a take that carries none because the versions stayed unknown goes on while they do)
    const moved = v === 'unknown' ? planned !== undefined : v !== planned
    return moved || (this.#heard.get(partition) ?? 0) > (planned ?? 0)
  }

  /** Partition p's earlier sets not settled, under configuration version `version` (undefined: not
   * known here). */
  earlierOf (partition: number, version: number): ReadonlyArray<{ readonly version: number, readonly nodes: readonly string[] }> | undefined {
    return this.#versions?.earlierOf?.(partition, version)
  }

  /** A replica refused an owner of `partition` here for `version`. */
  refused (partition: number, version: number): void {
    const versions = this.#versions
    if (versions === undefined) return
    const v = versions.of(partition)
    if (typeof v === 'number' && v >= version) return
    if (version > (this.#heard.get(partition) ?? 0)) this.#heard.set(partition, version)
    versions.newer(partition, version)
  }
}
