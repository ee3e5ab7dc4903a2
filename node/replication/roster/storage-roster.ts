import type { Candidate } from '../../mesh/index.ts'
import type { LevelStore } from '../../storage/index.ts'
import { replicasOf } from '../partitioning.ts'
import { FormerHolders } from './former-holders.ts'
import { PartitionConfigs } from './partition-configs.ts'

/** A member as the roster needs it. */
export interface RosterMember {
  readonly peerId: string
  readonly roles: readonly string[]
  readonly capacity: number
  /** As membership sees it: a replaced node heard again (not down) is a candidate again. */
  readonly status?: string
}

const ROSTER_KEY = 'm\x00roster'
const FORMER_HOLDERS_KEY = 'm\x00former-holders'

/** How the roster places partitions, to record their former holders (docs/replication.md,
 * "Former holders"): the same as the journal's placement. */
export interface RosterPlacement {
  readonly partitions: number
  /** config `replication-factor` (fewer replicas while the roster is smaller). */
  readonly replicationFactor: number
  /** The data dir already holds replica records: with no record of former holders kept, it is a
   * data dir of an older version, and every partition's former holders are unknown. */
  readonly holdsRecords?: boolean
}

type RosterLog = { warn (obj: object, msg: string): void }

/** A roster version as the roster follows it (roster-journal/roster-entry.ts RosterVersion). */
export interface FollowedVersion {
  readonly version: number
  readonly members: ReadonlyArray<{ readonly peerId: string, readonly capacity: number, readonly state?: 'leaving' | 'replaced' }>
  /** What made it (a settle drops partitions' earlier sets: PartitionConfigs). */
  readonly change?: { readonly kind: string, readonly settled?: ReadonlyArray<readonly [number, number]> }
}

/** The storage nodes as one source says them: members, and which of them are leaving or replaced. */
interface Layer {
  readonly members: Map<string, Candidate>
  readonly leaving: Set<string>
  readonly replaced: Set<string>
}

/**
 * The storage nodes of the cluster, as this node knows them: every member ever heard holding the
 * storage role, kept in the data dir. Not only the members up: a replica that is down stays a
 * replica (it misses writes, it is not replaced), so that every quorum of a partition overlaps
 * every other (docs/replication.md). A node that restarts knows the roster at once, before it
 * hears anyone.
 *
 * A member heard without the storage role any more (an admin took it away, or it restarted
 * without it) is **leaving**: placement leaves it out (`candidates`), but it is still a former
 * holder of what it stored (`known`) and hands its partitions off to their new replicas
 * (docs/replication.md, "Decommissioning a storage node"). Heard with the role again, it is a
 * candidate again.
 *
 * A member down longer than `replica-replace-after` is **replaced** (catch-up.ts decides): placement
 * leaves it out, its partitions' new replicas catch up from the other holders. Heard again (not
 * down), it is a candidate again, and catches up as a new replica would (it cleared what it counted
 * as caught up when it found itself cut off that long).
 */
export class StorageRoster {
  readonly #store: LevelStore
  readonly #log: { warn (obj: object, msg: string): void } | undefined
  /** The roster as this node hears it (its wish, once it follows versions: `wish`). */
  readonly #members = new Map<string, Candidate>()
  readonly #leaving = new Set<string>()
  readonly #replaced = new Set<string>()
  /** The same, as a layer (what placement reads until a version is followed). */
  readonly #heard: Layer = { members: this.#members, leaving: this.#leaving, replaced: this.#replaced }
  /** The roster version followed (`follow`) and what it says; undefined: none applied yet. */
  #followed: (Layer & { readonly version: number }) | undefined
  readonly #placement: RosterPlacement | undefined
  /** Each partition's former holders (with `placement` only), and its replicas as last placed. */
  #formers: FormerHolders | undefined
  /** Each partition's configuration version under the versions followed (with `placement` only). */
  #configs: PartitionConfigs | undefined
  #sets: string[][] = []
  #saving: Promise<void> = Promise.resolve()

  private constructor (store: LevelStore, log?: RosterLog, placement?: RosterPlacement) {
    this.#store = store
    this.#log = log
    this.#placement = placement
  }

  /** With `placement`, the roster records each partition's former holders as its replica sets
   * change (`formerHolders`); without, it knows none (owners fence every live storage node). */
  static async open (store: LevelStore, self: RosterMember, log?: RosterLog, placement?: RosterPlacement): Promise<StorageRoster> {
    const roster = new StorageRoster(store, log, placement)
    const saved = await store.get(ROSTER_KEY)
    if (placement !== undefined) {
      roster.#formers = await readFormers(store, placement.partitions, saved !== undefined || placement.holdsRecords === true, log)
      // kept at once: a restart must not take this data dir for an older version's
      if (await store.get(FORMER_HOLDERS_KEY) === undefined) roster.#saveFormers()
      roster.#configs = await PartitionConfigs.open(store, placement.partitions, log)
    }
    if (saved !== undefined) {
      const list = JSON.parse(new TextDecoder().decode(saved)) as Array<Candidate & { leaving?: boolean, replaced?: boolean }>
      for (const c of list) {
        roster.#members.set(c.peerId, { peerId: c.peerId, roles: ['storage'], capacity: c.capacity })
        if (c.leaving === true) roster.#leaving.add(c.peerId)
        if (c.replaced === true) roster.#replaced.add(c.peerId)
      }
    }
    roster.#sets = roster.#replicaSets()
    roster.update([self])
    await roster.#saving
    return roster
  }

  /** The storage nodes that may hold records of `partition` that its replicas lack: replicas of it
   * under an earlier roster here, until every replica of it was found whole (`settled`) or they
   * left for good. Undefined: not known here (a data dir an older version kept, or a record lost):
   * owners fence every live storage node, for good on that data dir. */
  formerHolders (partition: number): string[] | undefined {
    return this.#formers?.of(partition)
  }

  /** An activation found every replica of `partition` whole (a promise from each, none catching up)
   * after fencing `released` too: what they held is on the replicas now. Leaving nodes stay former
   * holders until they handed off (`forget`): one may still take a write from an owner whose view
   * names it (docs/replication.md, "Former holders"). An unknown partition stays unknown. Returns
   * whether the record changed. */
  settled (partition: number, released: readonly string[]): boolean {
    if (this.#formers === undefined) return false
    const { leaving } = this.#layer()
    if (!this.#formers.release(partition, released.filter((n) => !leaving.has(n)))) return false
    this.#saveFormers()
    return true
  }

  /** The storage nodes placement chooses among (neither leaving nor replaced), sorted by peer id. */
  candidates (): Candidate[] {
    const { leaving, replaced } = this.#layer()
    return this.known().filter((c) => !leaving.has(c.peerId) && !replaced.has(c.peerId))
  }

  /** What placement chooses among with `replicas` per partition: the candidates, or, while fewer
   * than that are left, every known node, leaving ones included (a leaving node stays a replica
   * until enough others take its place: it never leaves a partition short of replicas). */
  placement (replicas: number): Candidate[] {
    const active = this.candidates()
    return active.length >= replicas ? active : this.known()
  }

  /** Every storage node known, leaving ones included (former holders), sorted by peer id. */
  known (): Candidate[] {
    return sortedMembers(this.#layer().members)
  }

  /** Whether a known storage node is leaving (heard without the storage role). */
  isLeaving (peerId: string): boolean { return this.#layer().leaving.has(peerId) }

  /** Whether a known storage node was replaced (down past replica-replace-after). */
  isReplaced (peerId: string): boolean { return this.#layer().replaced.has(peerId) }

  /** The roster version followed (undefined: none applied yet: the roster is what this node hears). */
  get version (): number | undefined { return this.#followed?.version }

  /** The roster as this node hears it, whatever version it follows: what the keeper's node
   * proposes (roster-journal/roster-follow.ts). */
  wish (): { known (): Candidate[], isLeaving (peerId: string): boolean, isReplaced (peerId: string): boolean } {
    return { known: () => sortedMembers(this.#members), isLeaving: (p) => this.#leaving.has(p), isReplaced: (p) => this.#replaced.has(p) }
  }

  /**
   * Follows a roster version (docs/replication.md, "Roster versions"; RosterHistory's, in order):
   * from then on placement, the former holders and every read here say what the versions say, and
   * what this node hears (update, replace, forget) is its wish, which the keeper's node proposes.
   * An older version than the one followed changes nothing. Returns whether what placement reads
   * changed (the callers move open journals then).
   */
  follow (v: FollowedVersion): boolean {
    if (this.#followed !== undefined && v.version <= this.#followed.version) return false
    const layer = { version: v.version, members: new Map<string, Candidate>(), leaving: new Set<string>(), replaced: new Set<string>() }
    for (const m of v.members) {
      layer.members.set(m.peerId, { peerId: m.peerId, roles: ['storage'], capacity: m.capacity })
      if (m.state === 'leaving') layer.leaving.add(m.peerId)
      if (m.state === 'replaced') layer.replaced.add(m.peerId)
    }
    const previous = this.#followed?.version
    const before = this.#layer()
    const setsBefore = this.#sets
    this.#followed = layer
    const extra = { members: v.members.map((m) => m.peerId), ...(v.change?.settled !== undefined && { settled: v.change.settled }) }
    if (sameLayer(before, layer)) {
      this.#configs?.followed(v.version, previous, setsBefore, setsBefore, extra)
      return false
    }
    // a node the version forgot (it was decommissioned) is no former holder to fence any more
    const forgotten = [...before.members.keys()].filter((peer) => !layer.members.has(peer))
    for (const peer of forgotten) this.#formers?.forget(peer)
    if (forgotten.length > 0) this.#saveFormers()
    this.#recordMoves()
    this.#configs?.followed(v.version, previous, setsBefore, this.#sets, extra)
    return true
  }

  /** Each partition's configuration version under the roster versions followed (undefined: none
   * followed, or not known here yet: PartitionConfigs). */
  get configs (): PartitionConfigs | undefined { return this.#configs }

  /** What placement reads: the version followed, or (none yet) the roster as heard. */
  #layer (): Layer {
    return this.#followed ?? this.#heard
  }

  /** Marks a known storage node replaced (it stayed down past replica-replace-after): placement
   * leaves it out from now on, until it is heard again. Returns whether the roster changed (the
   * roster as heard: with a version followed, placement changes once a version says so). */
  replace (peerId: string): boolean {
    if (!this.#members.has(peerId) || this.#replaced.has(peerId)) return false
    this.#replaced.add(peerId)
    this.#save()
    return true
  }

  /** Forgets a storage node that was decommissioned (it handed every partition off and left the
   * cluster for good): no longer a former holder to fence. Returns whether the roster changed. */
  forget (peerId: string): boolean {
    if (!this.#members.delete(peerId)) return false
    this.#leaving.delete(peerId)
    this.#replaced.delete(peerId)
    // (following versions, it stays a former holder until a version forgets it)
    if (this.#followed === undefined) this.#formers?.forget(peerId)
    this.#save()
    return true
  }

  /** Takes members heard: storage members not yet known join the roster (and the data dir).
   * Returns whether the roster changed. */
  update (members: readonly RosterMember[]): boolean {
    let changed = false
    for (const m of members) {
      const known = this.#members.get(m.peerId)
      if (!m.roles.includes('storage')) {
        // a storage node that lost the role leaves: it keeps what it holds until handed off
        if (known !== undefined && !this.#leaving.has(m.peerId)) {
          this.#leaving.add(m.peerId)
          changed = true
        }
        continue
      }
      // a replaced node heard again (not down) is a candidate again: it catches up as a new replica
      const back = this.#replaced.has(m.peerId) && m.status !== undefined && m.status !== 'down'
      if (known !== undefined && known.capacity === m.capacity && !this.#leaving.has(m.peerId) && !back) continue
      if (this.#replaced.has(m.peerId) && !back) continue
      this.#members.set(m.peerId, { peerId: m.peerId, roles: ['storage'], capacity: m.capacity })
      this.#leaving.delete(m.peerId)
      this.#replaced.delete(m.peerId)
      changed = true
    }
    if (!changed) return false
    this.#save()
    return true
  }

  /** Each partition's replicas under the roster now (none without `placement`). */
  #replicaSets (): string[][] {
    if (this.#placement === undefined) return []
    const { partitions, replicationFactor } = this.#placement
    const placed = this.placement(replicationFactor)
    const r = Math.min(replicationFactor, placed.length)
    return Array.from({ length: partitions }, (_, p) => replicasOf(p, placed, r))
  }

  /** The roster changed: each partition's replicas that are not replicas any more become its former
   * holders (kept in the data dir before the change is used: the roster is saved in the same turn). */
  #recordMoves (): void {
    const after = this.#replicaSets()
    let changed = false
    if (this.#formers !== undefined) for (const [p, set] of after.entries()) changed = this.#formers.moved(p, this.#sets[p] ?? [], set) || changed
    this.#sets = after
    if (changed) this.#saveFormers()
  }

  #saveFormers (): void {
    const formers = this.#formers
    if (formers === undefined) return
    this.#saving = this.#store.write([{ type: 'put', key: FORMER_HOLDERS_KEY, value: formers.serialize() }]).catch((err: unknown) => {
      // a restart before the next save reads an older record, which names fewer former holders
      // than it should: owners would miss one; so the record is dropped and read as unknown
      this.#log?.warn({ err }, `the former holders could not be saved in the data dir: ${(err as Error).message}; owners here fence every storage node from now on`)
      this.#formers = FormerHolders.unknown(formers.partitions)
      void this.#store.write([{ type: 'del', key: FORMER_HOLDERS_KEY }]).catch(() => {})
    })
  }

  #save (): void {
    this.#recordMoves()
    const bytes = new TextEncoder().encode(JSON.stringify(sortedMembers(this.#members).map((c) => ({ peerId: c.peerId, capacity: c.capacity, ...(this.#leaving.has(c.peerId) && { leaving: true }), ...(this.#replaced.has(c.peerId) && { replaced: true }) }))))
    // issued now: the store lands writes in the order they were issued, and a stop that closes
    // the store waits for it (a save deferred to a later turn could miss the close)
    this.#saving = this.#store.write([{ type: 'put', key: ROSTER_KEY, value: bytes }]).catch((err: unknown) => {
      // the roster in memory is right; a restart before the next change would forget this member
      // until it is heard again (and until then use fewer replicas for some partitions)
      this.#log?.warn({ err }, `the storage roster could not be saved in the data dir: ${(err as Error).message}`)
    })
  }
}

function sortedMembers (members: ReadonlyMap<string, Candidate>): Candidate[] {
  return [...members.values()].sort((a, b) => (a.peerId < b.peerId ? -1 : 1))
}

function sameLayer (a: Layer, b: Layer): boolean {
  if (a.members.size !== b.members.size || a.leaving.size !== b.leaving.size || a.replaced.size !== b.replaced.size) return false
  for (const [peer, m] of a.members) if (b.members.get(peer)?.capacity !== m.capacity) return false
  for (const peer of a.leaving) if (!b.leaving.has(peer)) return false
  for (const peer of a.replaced) if (!b.replaced.has(peer)) return false
  return true
}

/** The former holders kept in the data dir. None kept: known and empty for a new data dir (nothing
 * placed before), unknown for one an older version kept (a roster or records, placed without saying
 * where). One that does not read is unknown too, said once in the log. */
async function readFormers (store: LevelStore, partitions: number, older: boolean, log?: RosterLog): Promise<FormerHolders> {
  const bytes = await store.get(FORMER_HOLDERS_KEY)
  if (bytes === undefined) return older ? FormerHolders.unknown(partitions) : FormerHolders.empty(partitions)
  try {
    return FormerHolders.parse(bytes, partitions)
  } catch (err) {
    log?.warn({ err }, `${(err as Error).message}: owners here fence every storage node`)
    return FormerHolders.unknown(partitions)
  }
}
