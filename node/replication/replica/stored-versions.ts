import type { LevelStore } from '../../storage/index.ts'
import { decodeVersion, encodeVersion, versionKey } from './replica-keys.ts'

/** The configuration versions a node's replicas stored (ReplicaVersions), one key per partition
 * (`m\0pv\0<partition>`), all read when the store opens: a replica checks a request against its
 * partition's version without a read of its own. */
export class StoredVersions {
  readonly #store: LevelStore
  readonly #versions = new Map<number, number>()

  private constructor (store: LevelStore) { this.#store = store }

  static async open (store: LevelStore): Promise<StoredVersions> {
    const versions = new StoredVersions(store)
    const first = versionKey(0)
    for await (const [key, value] of store.range({ gte: first, lte: `${first.slice(0, -4)}\xff` })) {
      versions.#versions.set(Number.parseInt(key.slice(-4), 16), decodeVersion(value))
    }
    return versions
  }

  /** A partition's version (0: none stored). */
  known (partition: number): number { return this.#versions.get(partition) ?? 0 }

  /** Stores a partition's version, as durable as a promise is; kept in memory once written. */
  async save (partition: number, version: number): Promise<void> {
    await this.#store.write([{ type: 'put', key: versionKey(partition), value: encodeVersion(version) }])
    if (version > this.known(partition)) this.#versions.set(partition, version)
  }
}
