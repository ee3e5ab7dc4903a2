import type { LevelStore } from '../../storage/index.ts'
import { sameNodes } from '../journal/quorum.ts'
export { earlierWriteQuorum } from '../journal/quorum.ts'

const CONFIGS_KEY = 'm\x00partition-configs'

/** Each partition's configuration version at one roster version (docs/replication.md, "What a
 * partition's version is"): `configs[p]` is the last roster version at or below `version` that
 * changed partition p's replica set. */
export interface ConfigsAt {
  readonly version: number
  readonly configs: readonly number[]
  /** Each partition's earlier sets whose hand-off is not settled (docs/replication.md, "When a
   * hand-off is settled"), oldest first. Absent: not known here (a member of older code answered
   * without them, or a partition's grew past MAX_EARLIER_SETS): every owner fences every storage
   * node. */
  readonly earlier?: ReadonlyArray<readonly EarlierSet[]>
}

/** A replica set of an earlier configuration version of a partition, not yet settled: owners under
 * a later one fence it too (EntityLogOptions.olderSets). Version 0: every storage node of roster
 * version 1 (what held the partition before versions were agreed). */
export interface EarlierSet {
  readonly version: number
  readonly nodes: readonly string[]
}

/** Earlier sets one partition may have before they are no longer tracked (its owners then fence
 * every storage node, as with none known). */
export const MAX_EARLIER_SETS = 32
/** Longest peer id an earlier set names; most nodes one names. */
const MAX_PEER_ID = 128
const MAX_SET_NODES = 1_024

/** What a roster version besides its members tells the configurations (FollowedVersion). */
export interface FollowedExtra {
  /** Every storage node of the version (version 1: the first earlier set of each partition whose
   * replica set is not all of them). */
  readonly members?: readonly string[]
  /** Partitions whose hand-off the version records settled: [partition, configuration version]. */
  readonly settled?: ReadonlyArray<readonly [number, number]>
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

  /** Partition p's earlier sets not yet settled, oldest first (undefined: not known here). */
  earlierOf (partition: number): readonly EarlierSet[] | undefined { return this.#at?.earlier?.[partition] }

  /** All of them, at the roster version they are worked out at (what a member answers). */
  get at (): ConfigsAt | undefined { return this.#at }

  /**
   * Roster version `version` is followed now; `before` and `after` are each partition's replica
   * set under the version followed before it (`previous`) and under this one. Version 1 starts every
   * partition at 1 (its earlier set: every storage node of the version, unless that is its set); the
   * version after the one they are worked out at moves the partitions whose set changed (the set
   * they had becomes an earlier one) and drops the earlier sets of the partitions it records
   * settled; one they are at or past changes nothing; any other (versions skipped) leaves them
   * unknown until adopted.
   */
  followed (version: number, previous: number | undefined, before: ReadonlyArray<readonly string[]>, after: ReadonlyArray<readonly string[]>, extra: FollowedExtra = {}): void {
    const at = this.#at
    // (one they are at or past: a restart follows the two versions it kept, the older first)
    if (at !== undefined && at.version >= version) return
    if (version === 1) {
      const members = extra.members ?? []
      const earlier = Array.from({ length: this.#partitions }, (_, p) => members.length === 0 || sameNodes(members, after[p] ?? []) ? [] : [{ version: 0, nodes: [...members] }])
      this.#set({ version, configs: Array.from({ length: this.#partitions }, () => 1), earlier })
    } else if (at !== undefined && at.version === version - 1 && previous === version - 1) {
      const moved = at.configs.map((_c, p) => !sameNodes(before[p] ?? [], after[p] ?? []))
      const configs = at.configs.map((c, p) => moved[p] === true ? version : c)
      this.#set({ version, configs, ...(at.earlier !== undefined && { earlier: this.#earlierAfter(at, moved, before, extra.settled ?? []) }) })
    } else if (at !== undefined) {
      this.#set(undefined)
    }
  }

  /** The earlier sets after a version: a moved partition's set before it joins them, a settled
   * one's before the version named go (undefined: one partition's grew past MAX_EARLIER_SETS). */
  #earlierAfter (at: ConfigsAt, moved: readonly boolean[], before: ReadonlyArray<readonly string[]>, settled: ReadonlyArray<readonly [number, number]>): EarlierSet[][] | undefined {
    const earlier = (at.earlier ?? []).map((sets) => [...sets])
    for (const [p, v] of settled) {
      const sets = earlier[p]
      if (sets !== undefined) earlier[p] = sets.filter((e) => e.version >= v)
    }
    for (let p = 0; p < moved.length; p++) {
      if (moved[p] !== true) continue
      const sets = earlier[p] ?? []
      sets.push({ version: at.configs[p] as number, nodes: [...before[p] ?? []] })
      earlier[p] = sets
      if (sets.length > MAX_EARLIER_SETS) {
        this.#log?.warn({ partition: p, sets: sets.length }, `partition ${p} has ${sets.length} replica sets not settled (more than ${MAX_EARLIER_SETS}): owners on this node fence every storage node until it takes a member's configurations`)
        return undefined
      }
    }
    return earlier
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
  const earlier = (value as { earlier?: unknown }).earlier
  if (earlier === undefined) return { version, configs: [...configs as number[]] }
  return { version, configs: [...configs as number[]], earlier: checkEarlier(earlier, configs as number[]) }
}

/** Checks each partition's earlier sets: at most MAX_EARLIER_SETS, each of a version below the
 * partition's configuration version (in order), naming 1 to MAX_SET_NODES peer ids. */
function checkEarlier (value: unknown, configs: readonly number[]): EarlierSet[][] {
  const fail = (why: string): never => { throw new RangeError(`configuration versions: earlier sets: ${why}`) }
  if (!Array.isArray(value) || value.length !== configs.length) fail(`expected one list for each of ${configs.length} partitions`)
  return (value as unknown[]).map((sets, p) => {
    if (!Array.isArray(sets) || sets.length > MAX_EARLIER_SETS) fail(`partition ${p}: expected a list of at most ${MAX_EARLIER_SETS}`)
    let last = -1
    return (sets as unknown[]).map((e) => {
      const { version, nodes } = (typeof e === 'object' && e !== null ? e : {}) as { version?: unknown, nodes?: unknown }
      if (typeof version !== 'number' || !Number.isSafeInteger(version) || version <= last || version >= (configs[p] as number)) fail(`partition ${p}: each version a whole number below ${configs[p] as number}, in order`)
      if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > MAX_SET_NODES || !nodes.every((n) => typeof n === 'string' && n.length > 0 && n.length <= MAX_PEER_ID)) fail(`partition ${p}: nodes must be 1-${MAX_SET_NODES} peer ids`)
      last = version as number
      return { version: version as number, nodes: [...nodes as string[]] }
    })
  })
}
