import type { Candidate } from '../../mesh/index.ts'
import type { LevelStore } from '../../storage/index.ts'

/** A member as the roster needs it. */
export interface RosterMember {
  readonly peerId: string
  readonly roles: readonly string[]
  readonly capacity: number
  /** As membership sees it: a replaced node heard again (not down) is a candidate again. */
  readonly status?: string
}

const ROSTER_KEY = 'm\x00roster'

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
  readonly #members = new Map<string, Candidate>()
  readonly #leaving = new Set<string>()
  readonly #replaced = new Set<string>()
  #saving: Promise<void> = Promise.resolve()

  private constructor (store: LevelStore, log?: { warn (obj: object, msg: string): void }) {
    this.#store = store
    this.#log = log
  }

  static async open (store: LevelStore, self: RosterMember, log?: { warn (obj: object, msg: string): void }): Promise<StorageRoster> {
    const roster = new StorageRoster(store, log)
    const saved = await store.get(ROSTER_KEY)
    if (saved !== undefined) {
      const list = JSON.parse(new TextDecoder().decode(saved)) as Array<Candidate & { leaving?: boolean, replaced?: boolean }>
      for (const c of list) {
        roster.#members.set(c.peerId, { peerId: c.peerId, roles: ['storage'], capacity: c.capacity })
        if (c.leaving === true) roster.#leaving.add(c.peerId)
        if (c.replaced === true) roster.#replaced.add(c.peerId)
      }
    }
    roster.update([self])
    await roster.#saving
    return roster
  }

  /** The storage nodes placement chooses among (neither leaving nor replaced), sorted by peer id. */
  candidates (): Candidate[] {
    return this.known().filter((c) => !this.#leaving.has(c.peerId) && !this.#replaced.has(c.peerId))
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
    return [...this.#members.values()].sort((a, b) => (a.peerId < b.peerId ? -1 : 1))
  }

  /** Whether a known storage node is leaving (heard without the storage role). */
  isLeaving (peerId: string): boolean { return this.#leaving.has(peerId) }

  /** Whether a known storage node was replaced (down past replica-replace-after). */
  isReplaced (peerId: string): boolean { return this.#replaced.has(peerId) }

  /** Marks a known storage node replaced (it stayed down past replica-replace-after): placement
   * leaves it out from now on, until it is heard again. Returns whether the roster changed. */
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

  #save (): void {
    const bytes = new TextEncoder().encode(JSON.stringify(this.known().map((c) => ({ peerId: c.peerId, capacity: c.capacity, ...(this.#leaving.has(c.peerId) && { leaving: true }), ...(this.#replaced.has(c.peerId) && { replaced: true }) }))))
    // issued now: the store lands writes in the order they were issued, and a stop that closes
    // the store waits for it (a save deferred to a later turn could miss the close)
    this.#saving = this.#store.write([{ type: 'put', key: ROSTER_KEY, value: bytes }]).catch((err: unknown) => {
      // the roster in memory is right; a restart before the next change would forget this member
      // until it is heard again (and until then use fewer replicas for some partitions)
      this.#log?.warn({ err }, `the storage roster could not be saved in the data dir: ${(err as Error).message}`)
    })
  }
}
