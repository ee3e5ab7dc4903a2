/**
 * Rewrites and trims in the simulation (docs/replication.md, "Rewrites and trims"): owners redact
 * acknowledged records (a rewrite keeps the record's value `v` and adds `red`, the rewrite's number)
 * and trim their journals, and every write, read and final journal is checked:
 * - a replica's revision of a record never goes back, it never stores a record below its floor,
 *   and no floor is ever above what some owner trimmed at;
 * - a read that began after a rewrite was acknowledged returns that rewrite or a later one of the
 *   record; one that began after a trim was acknowledged returns nothing below its floor;
 * - at the end, after the network healed and anti-entropy ran between every pair of the final
 *   replicas, they hold the same floor and the same records, each at the latest acknowledged
 *   revision or a later one; no record at or above the floor that was acknowledged is lost.
 * Drawn from a stream of its own: a seed without edits runs as it did before they were simulated.
 */
import { epochAt, floorOf, genAfter, laterRevision, revisedOf } from '../../node/replication/index.ts'
import type { EntityLog, LogSummary, ReplicaChange, ReplicaCore, StoredRecord, StoredSnapshot } from '../../node/replication/index.ts'
import type { DiskEntity } from './sim-world.ts'

interface Acked { readonly red: number, readonly n: number }

export class SimEdits {
  readonly enabled: boolean
  readonly stats = { rewrites: 0, trims: 0, rewritesAcked: 0, trimsAcked: 0 }
  readonly #rnd: () => number
  readonly #violate: (what: string) => void
  readonly #acked: ReadonlyMap<string, ReadonlyMap<number, string>>
  #red = 0
  /** Edits acknowledged so far (a read that begins notes it). */
  #n = 0
  /** "entity|seq" → rewrites acknowledged. */
  readonly #rewrites = new Map<string, Acked[]>()
  /** entity → the highest floor any owner asked for. */
  readonly #issued = new Map<string, number>()
  /** entity → trims acknowledged, as { red: floor, n }. */
  readonly #trims = new Map<string, Acked[]>()

  readonly #say: (line: string) => void

  constructor (rnd: () => number, enabled: boolean, violate: (what: string) => void, acked: ReadonlyMap<string, ReadonlyMap<number, string>>, say: (line: string) => void = () => {}) {
    this.#say = say
    this.#rnd = rnd
    this.enabled = enabled
    this.#violate = violate
    this.#acked = acked
  }

  /** In an owner's write loop: an edit instead of an append, now and then; true when it made one. */
  maybeEdit (entity: string, log: EntityLog, who = ''): boolean {
    if (!this.enabled || this.#rnd() >= 0.08 || log.committed < log.floor) return false
    const span = log.committed - log.floor + 1
    if (this.#rnd() < 0.75) {
      const seq = log.floor + Math.floor(this.#rnd() * span)
      const v = this.#acked.get(entity)?.get(seq)
      if (v === undefined) return false
      const red = ++this.#red
      this.stats.rewrites++
      this.#say(`${who} rewrites ${entity} seq ${seq} (rewrite ${red})`)
      log.rewrite([{ seq, event: { v, red } }]).then(() => {
        this.#say(`${who}: rewrite ${red} of ${entity} seq ${seq} acknowledged`)
        this.stats.rewritesAcked++
        const key = `${entity}|${seq}`
        this.#rewrites.set(key, [...this.#rewrites.get(key) ?? [], { red, n: ++this.#n }])
      }, () => undefined)
      return true
    }
    // a trim keeps at least the last acknowledged record (now and then none: a journal trimmed whole)
    const before = Math.min(log.committed + 1, log.floor + 1 + Math.floor(this.#rnd() * span))
    this.#issued.set(entity, Math.max(this.#issued.get(entity) ?? 1, before))
    this.stats.trims++
    this.#say(`${who} trims ${entity} below ${before}`)
    log.trim(before, { seq: log.committed, state: { upTo: log.committed } }).then(() => {
      this.stats.trimsAcked++
      this.#trims.set(entity, [...this.#trims.get(entity) ?? [], { red: before, n: ++this.#n }])
    }, () => undefined)
    return true
  }

  /** The highest floor any owner asked for (1: none). */
  issued (entity: string): number { return this.#issued.get(entity) ?? 1 }

  /** A durable write on a replica, before it lands; the seqs below which it may remove records. */
  checkWrite (node: string, entity: string, before: DiskEntity | undefined, change: ReplicaChange): number {
    const floor = floorOf(change.state.summary)
    if (floor > this.issued(entity)) this.#violate(`${node} ${entity}: floor ${floor}, and no owner trimmed above ${this.issued(entity)}`)
    const was = before === undefined ? 1 : floorOf(before.state.summary)
    if (floor < was) this.#violate(`${node} ${entity}: floor went down ${was} -> ${floor}`)
    for (const r of [...change.records ?? [], ...change.replace ?? []]) {
      if (r.seq < floor) this.#violate(`${node} ${entity}: stored seq ${r.seq} below its floor ${floor}`)
    }
    for (const r of change.replace ?? []) {
      const old = before?.records.get(r.seq)
      if (old !== undefined && old.epoch === r.epoch && !laterRevision(r, old)) this.#violate(`${node} ${entity}: seq ${r.seq} rewritten to an earlier revision`)
    }
    return change.removeBelow ?? 0
  }

  /** What a read that begins now must see. */
  began (): number { return this.#n }

  /** Checks a read's answer (records from `from` on, or from the floor the owner holds); the seq
   * from which every acknowledged record must be in it. */
  checkRead (entity: string, from: number, records: ReadonlyArray<{ seq: number, event: unknown }>, began: number, who: string): number {
    const first = records[0]?.seq ?? from
    const floor = Math.max(1, ...(this.#trims.get(entity) ?? []).filter((t) => t.n <= began).map((t) => t.red))
    if (records.length > 0 && first < floor) this.#violate(`read of ${entity} through ${who} returned seq ${first}, below the floor ${floor} acknowledged before it began`)
    if (first > from && first > this.issued(entity)) this.#violate(`read of ${entity} through ${who} from ${from} started at ${first}, above any floor asked for`)
    for (const r of records) {
      const due = this.#due(entity, r.seq, began)
      const red = (r.event as { red?: number }).red ?? 0
      if (red < due) this.#violate(`read of ${entity} through ${who}: seq ${r.seq} at rewrite ${red}, after rewrite ${due} was acknowledged`)
    }
    return records.length > 0 ? first : Math.max(from, this.issued(entity))
  }

  /** The latest rewrite of a record acknowledged before `began` (0: none). */
  #due (entity: string, seq: number, began: number): number {
    return Math.max(0, ...(this.#rewrites.get(`${entity}|${seq}`) ?? []).filter((k) => k.n <= began).map((k) => k.red))
  }

  /**
   * The final journal of an entity, after anti-entropy ran between its final replicas: each at the
   * same floor, holding the same records at the same revisions, none earlier than acknowledged.
   */
  checkFinal (entity: string, floor: number, records: ReadonlyArray<{ seq: number, event: unknown }>, disks: ReadonlyMap<string, DiskEntity | undefined>): void {
    if (floor > this.issued(entity)) this.#violate(`${entity}: final floor ${floor}, and no owner trimmed above ${this.issued(entity)}`)
    for (const r of records) {
      const due = this.#due(entity, r.seq, Infinity)
      if (((r.event as { red?: number }).red ?? 0) < due) this.#violate(`${entity}: final journal holds seq ${r.seq} at an earlier revision than rewrite ${due}, acknowledged`)
    }
    if (!this.enabled) return
    // (the replicas against each other: a rewrite never acknowledged may have won since the
    // journal was read, as any unacknowledged write may survive)
    // (floors the same on every replica, at least the journal's: one may have come from a replica
    // the final owner did not read)
    const [first, ...others] = [...disks]
    const firstFloor = first?.[1] === undefined ? 1 : floorOf(first[1].state.summary)
    for (const [node, disk] of disks) {
      const mine = disk === undefined ? 1 : floorOf(disk.state.summary)
      if (mine !== firstFloor || mine < floor) this.#violate(`${entity}: replica ${node} at floor ${mine} (${first?.[0] ?? ''} at ${firstFloor}), the journal's ${floor}, after anti-entropy`)
      for (const r of records) {
        const red = (disk?.records.get(r.seq)?.event as { red?: number } | undefined)?.red ?? 0
        if (disk?.records.has(r.seq) === true && red < this.#due(entity, r.seq, Infinity)) this.#violate(`${entity}: replica ${node} holds seq ${r.seq} at an earlier revision than acknowledged, after anti-entropy`)
      }
    }
    for (const [node, disk] of others) {
      for (const r of records) {
        const a = disk?.records.get(r.seq)
        const b = first?.[1]?.records.get(r.seq)
        if (a !== undefined && b !== undefined && (a.event as { red?: number }).red !== (b.event as { red?: number }).red) {
          this.#violate(`${entity}: replicas ${first?.[0] ?? ''} and ${node} hold seq ${r.seq} at different revisions after anti-entropy`)
          break
        }
      }
    }
  }

  /** Anti-entropy's part for edits (partition-pull.ts): the peer's higher floor with its snapshot,
   * records of the peer's revisions later than these, and its rewrite generation once this replica
   * holds exactly its records (`same`). How much it took. */
  async pull (core: ReplicaCore, entity: string, theirs: LogSummary, peer: { read: (from: number, limit: number) => Promise<StoredRecord[]>, snapshot: () => Promise<StoredSnapshot | null> },
    same: () => Promise<boolean>): Promise<number> {
    let took = 0
    const floor = floorOf(theirs)
    if (floor > floorOf((await core.state(entity)).summary)) {
      const snap = await peer.snapshot()
      if (snap !== null && await core.takeFloor(entity, floor, epochAt(theirs.segments, theirs.head, floor - 1), snap)) took++
    }
    const own = (await core.state(entity)).summary
    for (let seq = floorOf(own); seq <= Math.min(own.head, theirs.head); seq += 256) {
      const page = await peer.read(seq, 256)
      took += await core.repair(entity, page.filter((r) => (r.rev ?? 0) > 0), theirs)
      if (page.length < 256) break
    }
    if (genAfter(revisedOf(theirs), revisedOf(own))) await core.takeRevised(entity, revisedOf(theirs), same)
    return took
  }
}

/** Whether a disk's copy of an entity has trimmed `seq` away. */
export function trimmedOn (disk: DiskEntity | undefined, seq: number): boolean {
  return disk !== undefined && seq < floorOf(disk.state.summary)
}
