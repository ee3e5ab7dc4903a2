import type { LevelStore } from '../../storage/index.ts'

const CONFIGS_KEY = 'm\x00partition-configs'

/** Each partition's configuration version at one roster version (docs/replication.md, "What a
 * partition's version is"): `configs[p]` is the last roster version at or below `version` that
 * changed partition p's replica set. */
export interface ConfigsAt {
  readonly version: number
  readonly configs: readonly number[]
}

type ConfigsLog = { warn (obj: object, msg: string): void }

/**
 * The configuration version of every partition, as a node follows roster versions: version 1 is
 * every partition's first configuration; each version after it that changes a partition's replica
 * set is that partition's next one, and one that leaves the set as it was leaves it as it was. So
 * a roster change touches the versions of the partitions it moves (about R/N of them), and every
 * node that applied the same versions names the same configuration version for each partition.
 *
 * Worked out from one version to the next, so a node that skipped versions (one joining a cluster
 * takes the latest ones a member applied) does not know them: `unknown` until it adopts them from a
 * member at the same roster version (`adopt`). Kept in the data dir, written before anything is
 * told of them (issued in order with the roster's own writes).
 */
export class PartitionConfigs {
  readonly #store: LevelStore
  readonly #partitions: number
  readonly #log: ConfigsLog | undefined
  #at: ConfigsAt | undefined
  #saving: Promise<void> = Promise.resolve()

  private constructor (store: LevelStore, partitions: number, at: ConfigsAt | undefined, log: ConfigsLog | undefined) {
    this.#store = store
    this.#partitions = partitions
    this.#at = at
    this.#log = log
  }

  /** Reads what the data dir keeps; a record that does not read (or is for another partition
   * count) is unknown: the node adopts them again from a member. */
  static async open (store: LevelStore, partitions: number, log?: ConfigsLog): Promise<PartitionConfigs> {
    const bytes = await store.get(CONFIGS_KEY)
    let at: ConfigsAt | undefined
    if (bytes !== undefined) {
      try {
        at = checkConfigsAt(JSON.parse(new TextDecoder().decode(bytes)) as unknown, partitions)
      } catch (err) {
        log?.warn({ err }, `the partitions' configuration versions kept in the data dir do not read (${(err as Error).message}): this node reads them again from a member`)
      }
    }
    return new PartitionConfigs(store, partitions, at, log)
  }

  /** The roster version they are worked out at (undefined: not known here). */
  get version (): number | undefined { return this.#at?.version }

  /** Partition p's configuration version (undefined: not known here). */
  of (partition: number): number | undefined { return this.#at?.configs[partition] }

  /** All of them, at the roster version they are worked out at (what a member answers). */
  get at (): ConfigsAt | undefined { return this.#at }

  /**
   * Roster version `version` is followed now; `before` and `after` are each partition's replica
   * set under the version followed before it (`previous`) and under this one. Version 1 starts every
   * partition at 1; the version after the one they are worked out at moves the partitions whose set
   * changed; one they are at or past changes nothing; any other (versions skipped) leaves them
   * unknown until adopted.
   */
  followed (version: number, previous: number | undefined, before: ReadonlyArray<readonly string[]>, after: ReadonlyArray<readonly string[]>): void {
    const at = this.#at
    // (one they are at or past: a restart follows the two versions it kept, the older first)
    if (at !== undefined && at.version >= version) return
    if (version === 1) {
      this.#set({ version, configs: Array.from({ length: this.#partitions }, () => 1) })
    } else if (at !== undefined && at.version === version - 1 && previous === version - 1) {
      const configs = at.configs.map((c, p) => sameSet(before[p] ?? [], after[p] ?? []) ? c : version)
      this.#set({ version, configs })
    } else if (at !== undefined) {
      this.#set(undefined)
    }
  }

  /** Takes a member's configuration versions, when they are at `latest` (the version this node
   * follows) and this node does not know its own. Returns whether it took them. */
  adopt (value: unknown, latest: number | undefined): boolean {
    if (latest === undefined || this.#at?.version === latest) return false
    const at = checkConfigsAt(value, this.#partitions)
    if (at.version !== latest) return false
    this.#set(at)
    return true
  }

  /** Resolves once every write issued so far landed. */
  async flushed (): Promise<void> { await this.#saving }

  #set (at: ConfigsAt | undefined): void {
    this.#at = at
    const write = at === undefined
      ? { type: 'del' as const, key: CONFIGS_KEY }
      : { type: 'put' as const, key: CONFIGS_KEY, value: new TextEncoder().encode(JSON.stringify(at)) }
    this.#saving = this.#store.write([write]).catch((err: unknown) => {
      // read again from a member after a restart: unknown is safe, only slower
      this.#log?.warn({ err }, `the partitions' configuration versions could not be saved in the data dir: ${(err as Error).message}`)
    })
  }
}

/** Checks configuration versions read off another node or the data dir: `partitions` whole
 * numbers, each from 1 to `version`. Throws a RangeError saying what is wrong. */
export function checkConfigsAt (value: unknown, partitions: number): ConfigsAt {
  if (typeof value !== 'object' || value === null) throw new RangeError('configuration versions: expected an object')
  const { version, configs } = value as { version?: unknown, configs?: unknown }
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw new RangeError('configuration versions: version must be a whole number from 1')
  if (!Array.isArray(configs) || configs.length !== partitions) throw new RangeError(`configuration versions: expected one for each of ${partitions} partitions`)
  for (const c of configs as unknown[]) {
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 1 || c > version) throw new RangeError(`configuration versions: each must be a whole number from 1 to ${version}`)
  }
  return { version, configs: [...configs as number[]] }
}

function sameSet (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const s = new Set(a)
  return b.every((x) => s.has(x))
}
