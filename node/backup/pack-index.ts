import { PACK_RECORD_HEADER_BYTES, PACK_RECORD_PUT } from './constants.ts'
import type { RecordHeader } from './pack-record.ts'

/** Where a held chunk's record is. Replaced, never changed, when the record moves (a read that
 * raced a compaction sees that its entry is no longer the index's). */
export interface PackEntry {
  readonly pack: number
  readonly offset: number
  readonly length: number
  readonly digest: string
  /** Put records of this id in pack files (this one, and dead ones compaction has not yet dropped). */
  puts: number
}

/** The latest remove record of an id that is not held, kept while a put record of that id is in
 * some pack: dropping it then would bring the chunk back on the next open. */
export interface Tombstone {
  readonly pack: number
  readonly offset: number
  puts: number
}

/** One pack file, as the index counts it. */
export interface Pack {
  readonly n: number
  size: number
  /** Bytes of records the state needs (live puts, needed tombstones); the rest is dead. */
  live: number
  damaged: boolean
}

/** A part of a pack file that could not be read: nothing of it is indexed, nothing of it is
 * deleted (compaction leaves a damaged pack alone). */
export interface ChunkStoreDamage {
  readonly pack: string
  readonly offset: number
  readonly why: string
}

/**
 * A chunk store's index, in memory (rebuilt from the packs' record headers on open): where each
 * held chunk's record is, the tombstones still needed, each pack's live bytes, and the damage
 * found. Records are applied in pack order: the later record of an id wins. Ids are listed in
 * order from a sorted array merged with the ids added since (sorted lazily, on the next listing).
 */
export class PackIndex {
  readonly #entries = new Map<string, PackEntry>()
  readonly #tombstones = new Map<string, Tombstone>()
  readonly #packs = new Map<number, Pack>()
  readonly #damaged: ChunkStoreDamage[] = []
  /** Sorted ids (some perhaps removed since: filtered on read) and the ids added since the sort. */
  #sorted: string[] = []
  #added: string[] = []
  #removedSinceSort = 0
  #bytes = 0

  /** Chunks held. */
  get size (): number { return this.#entries.size }
  /** Sealed bytes held (the sum of the chunks' lengths). */
  get bytes (): number { return this.#bytes }
  /** The damage found so far. */
  get damaged (): readonly ChunkStoreDamage[] { return this.#damaged }

  get (id: string): PackEntry | undefined { return this.#entries.get(id) }
  has (id: string): boolean { return this.#entries.has(id) }
  tombstone (id: string): Tombstone | undefined { return this.#tombstones.get(id) }
  pack (n: number): Pack | undefined { return this.#packs.get(n) }
  packs (): IterableIterator<Pack> { return this.#packs.values() }
  get packCount (): number { return this.#packs.size }

  addPack (pack: Pack): void { this.#packs.set(pack.n, pack) }
  deletePack (n: number): void { this.#packs.delete(n) }

  /** Marks a pack damaged from `offset` on (`path` names it in stats). */
  markDamaged (pack: Pack, path: string, offset: number, why: string): void {
    pack.damaged = true
    this.#damaged.push({ pack: path, offset, why })
  }

  /** Applies one record, in pack order: the later record of an id wins. */
  apply (r: RecordHeader, pack: number, offset: number): void {
    const prev = this.#entries.get(r.id)
    const tomb = this.#tombstones.get(r.id)
    const puts = prev?.puts ?? tomb?.puts ?? 0
    if (prev !== undefined) {
      (this.#packs.get(prev.pack) as Pack).live -= PACK_RECORD_HEADER_BYTES + prev.length
      this.#bytes -= prev.length
      this.#entries.delete(r.id)
    }
    if (tomb !== undefined) {
      (this.#packs.get(tomb.pack) as Pack).live -= PACK_RECORD_HEADER_BYTES
      this.#tombstones.delete(r.id)
    }
    const into = this.#packs.get(pack) as Pack
    if (r.kind === PACK_RECORD_PUT) {
      this.#entries.set(r.id, { pack, offset, length: r.length, digest: r.digest, puts: puts + 1 })
      into.live += PACK_RECORD_HEADER_BYTES + r.length
      this.#bytes += r.length
      if (prev === undefined) this.#added.push(r.id)
    } else {
      if (prev !== undefined) this.#removedSinceSort++
      if (puts > 0) {
        this.#tombstones.set(r.id, { pack, offset, puts })
        into.live += PACK_RECORD_HEADER_BYTES
      }
    }
  }

  /** A record moved by compaction to `pack` at `offset`: its entry (or tombstone) is replaced. */
  moved (r: RecordHeader, pack: number, offset: number): void {
    if (r.kind === PACK_RECORD_PUT) {
      const entry = this.#entries.get(r.id) as PackEntry
      this.#entries.set(r.id, { ...entry, pack, offset })
    } else {
      const tomb = this.#tombstones.get(r.id) as Tombstone
      this.#tombstones.set(r.id, { ...tomb, pack, offset })
    }
  }

  /**
   * A compacted pack is gone: its put records (`putsHere`, by id; those of `moved` ids were written
   * again) no longer count, the tombstones it held that were not needed (`dropped`) are forgotten,
   * and so are tombstones elsewhere that only guarded its put records.
   */
  packGone (putsHere: ReadonlyMap<string, number>, moved: ReadonlySet<string>, dropped: readonly string[]): void {
    for (const id of dropped) this.#tombstones.delete(id)
    for (const [id, count] of putsHere) {
      const entry = this.#entries.get(id)
      if (entry !== undefined) {
        entry.puts -= count - (moved.has(id) ? 1 : 0)
        continue
      }
      const tomb = this.#tombstones.get(id)
      if (tomb === undefined) continue
      tomb.puts -= count
      if (tomb.puts <= 0) {
        this.#tombstones.delete(id)
        const at = this.#packs.get(tomb.pack)
        if (at !== undefined) at.live -= PACK_RECORD_HEADER_BYTES
      }
    }
  }

  /** Held ids greater than `after`, in order, at most `limit`. */
  page (after: string | undefined, limit: number): string[] {
    const sorted = this.#sortedIds()
    let lo = 0
    let hi = sorted.length
    if (after !== undefined) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((sorted[mid] as string) <= after) lo = mid + 1
        else hi = mid
      }
    }
    const page: string[] = []
    for (let i = lo; i < sorted.length && page.length < limit; i++) {
      const id = sorted[i] as string
      if (this.#entries.has(id)) page.push(id)
    }
    return page
  }

  #sortedIds (): string[] {
    if (this.#added.length > 0 || this.#removedSinceSort * 2 > this.#sorted.length) {
      const added = this.#added.filter((id) => this.#entries.has(id)).sort()
      const old = this.#sorted
      const merged: string[] = []
      let i = 0
      let j = 0
      while (i < old.length || j < added.length) {
        const next = j >= added.length || (i < old.length && (old[i] as string) <= (added[j] as string)) ? old[i++] as string : added[j++] as string
        // an id removed and put again is in both, or twice in `added`
        if (this.#entries.has(next) && merged.at(-1) !== next) merged.push(next)
      }
      this.#sorted = merged
      this.#added = []
      this.#removedSinceSort = 0
    }
    return this.#sorted
  }
}
