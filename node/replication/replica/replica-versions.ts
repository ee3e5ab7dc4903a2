import { VERSIONED_OPS } from './replica-protocol.ts'
import type { ReplicaRequest } from './replica-protocol.ts'
import type { ReplicaStorage } from './replica-storage.ts'

/** What a replica answers an owner of an older configuration version than it stored: a fence is
 * refused as a newer promise refuses it, anything else as a stale owner's; `version` tells the
 * owner's node the version it lacks. */
export type VersionRefusal =
  | { readonly ok: false, readonly promised: number, readonly version: number }
  | { readonly result: 'stale', readonly promised: number, readonly version: number }

/** A check's outcome: undefined serves the request (now, or once the promise resolves). */
export type VersionCheck = VersionRefusal | undefined | Promise<VersionRefusal | undefined>

/**
 * A replica's configuration versions, one per partition (docs/replication.md, "Roster versions"):
 * the highest version any owner's request has shown it, durable before any request that raised it
 * (or any after it) is served. A request of VERSIONED_OPS with a lower version is refused; one
 * without any counts as version 0 (refused once the partition stored a version; served as before
 * while none was ever stored). Other requests (reads, summaries, releases, saved snapshots) and
 * repairs carry none and are never refused here. A storage that keeps no versions (no
 * `saveVersion`) checks none.
 */
export class ReplicaVersions {
  readonly #storage: ReplicaStorage
  readonly #raised: ((partition: number, version: number) => void) | undefined
  /** Durable versions, by partition (0: none stored). */
  readonly #known = new Map<number, number>()
  /** A load or a raise in progress, by partition: requests of the partition wait for it. */
  readonly #busy = new Map<number, Promise<void>>()

  /** `raised`: told of each version once stored (the node learns it: docs/replication.md). */
  constructor (storage: ReplicaStorage, raised?: (partition: number, version: number) => void) {
    this.#storage = storage
    this.#raised = raised
  }

  /** The version stored for a partition (0: none), once loaded. */
  async of (partition: number): Promise<number> {
    await this.#load(partition)
    return this.#known.get(partition) ?? 0
  }

  /**
   * Stores `version` for a partition unless it stored one at least as high (a settle's
   * `raise-version` round: docs/replication.md, "When a hand-off is settled"), durable before it
   * resolves, after any request of the partition in progress. Resolves with the version stored
   * (0: this storage keeps none).
   */
  async raiseTo (partition: number, version: number): Promise<number> {
    if (this.#storage.saveVersion === undefined) return 0
    for (;;) {
      const busy = this.#busy.get(partition) ?? (this.#known.has(partition) ? undefined : this.#load(partition))
      if (busy === undefined) break
      await busy
    }
    if (version > (this.#known.get(partition) ?? 0)) await this.#raise(partition, version)
    return this.#known.get(partition) ?? 0
  }

  /** The request checked against the version of its entity's partition. (Not async: the usual
   * request, with the version known and equal, is served without a turn more.) */
  check (request: ReplicaRequest): VersionCheck {
    const storage = this.#storage
    if (!VERSIONED_OPS.has(request.op) || storage.saveVersion === undefined || storage.partitionOf === undefined) return undefined
    const partition = storage.partitionOf(request.entity)
    if (!this.#known.has(partition) && storage.knownVersion !== undefined) this.#known.set(partition, storage.knownVersion(partition))
    const busy = this.#busy.get(partition) ?? (this.#known.has(partition) ? undefined : this.#load(partition))
    if (busy !== undefined) return busy.then(() => this.check(request))
    const known = this.#known.get(partition) ?? 0
    const version = (request as { version?: number }).version ?? 0
    if (version > known) return this.#raise(partition, version).then(() => this.check(request))
    if (version === known) return undefined
    const promised = (request as { epoch: number }).epoch
    return request.op === 'fence' ? { ok: false, promised, version: known } : { result: 'stale', promised, version: known }
  }

  #load (partition: number): Promise<void> {
    if (this.#known.has(partition)) return Promise.resolve()
    const pending = this.#busy.get(partition)
    if (pending !== undefined) return pending
    const loading = (this.#storage.loadVersion?.(partition) ?? Promise.resolve(0)).then((v) => {
      this.#known.set(partition, v)
    }).finally(() => { this.#busy.delete(partition) })
    this.#busy.set(partition, loading)
    return loading
  }

  #raise (partition: number, version: number): Promise<void> {
    const raising = (this.#storage.saveVersion as (p: number, v: number) => Promise<void>)(partition, version).then(() => {
      // (a failed write leaves the version as the disk has it: the request fails with it)
      if (version > (this.#known.get(partition) ?? 0)) this.#known.set(partition, version)
      this.#raised?.(partition, version)
    }).finally(() => { this.#busy.delete(partition) })
    this.#busy.set(partition, raising)
    return raising
  }
}
