import { CorruptRecordError } from '../../storage/index.ts'
import type { LevelStore } from '../../storage/index.ts'
import { SMALL_READ, STORED_READ_BATCH } from '../constants.ts'
import { recordEnd, recordKey, seqOf } from './replica-keys.ts'
import type { StoredRecord } from './replica-protocol.ts'
import type { PackedRecord } from './replica-storage.ts'
import type { ReplicaValues } from './replica-values.ts'

/**
 * Reads a replica's records of one entity in seq order, each seal verified by the store: a few by
 * their keys (gathered with other reads of the same turn), more as a range. A record missing before
 * a later one (a hole) ends the read there and is told as damaged, so that no reader takes the next
 * record for it; so is a value that fails its seal (the read then fails with CorruptRecordError).
 */
export class RecordReader {
  readonly #store: LevelStore
  readonly #values: ReplicaValues
  readonly #partitionOf: (entity: string) => number
  /** Told of every damaged value a read meets. */
  readonly #damaged: (key: string) => void

  constructor (store: LevelStore, values: ReplicaValues, partitionOf: (entity: string) => number, damaged: (key: string) => void) {
    this.#store = store
    this.#values = values
    this.#partitionOf = partitionOf
    this.#damaged = damaged
  }

  /** `read` as it resolves; a damaged value it met is told before it rejects. */
  async damageTold<T> (read: Promise<T>): Promise<T> {
    try {
      return await read
    } catch (err) {
      if (err instanceof CorruptRecordError) this.#damaged(err.key)
      throw err
    }
  }

  /** The records stored from `from` on, at most `limit`, as they are, for what derives from the
   * store (the search index's rebuild): a hole (a trimmed start, a record not yet repaired) is
   * skipped, not told; a damaged value is told and left out (its repair lands as a write). */
  async stored (entity: string, from: number, limit: number): Promise<StoredRecord[]> {
    const p = this.#partitionOf(entity)
    const out: StoredRecord[] = []
    let next = Math.max(1, from)
    for (;;) {
      try {
        for await (const batch of this.#store.sealedBatches({ gte: recordKey(p, entity, next), lte: recordEnd(p, entity), limit: limit - out.length })) {
          for (const [key, value] of batch) {
            const seq = seqOf(key)
            const r = this.#values.record(key, value)
            out.push(r.rev === undefined ? { seq, epoch: r.epoch, event: r.event } : { ...r, seq })
            next = seq + 1
          }
        }
        return out
      } catch (err) {
        if (!(err instanceof CorruptRecordError)) throw err
        this.#damaged(err.key)
        next = Math.max(next, seqOf(err.key) + 1)
        if (out.length >= limit) return out
      }
    }
  }

  /** Records with seq >= from, in order, at most `limit`. */
  async read (entity: string, from: number, limit: number): Promise<StoredRecord[]> {
    return await this.damageTold(this.#read(entity, from, limit))
  }

  async #read (entity: string, from: number, limit: number): Promise<StoredRecord[]> {
    if (limit <= SMALL_READ) {
      const records = await this.#readKeys(entity, Math.max(1, from), limit)
      if (records !== undefined) return records
    }
    return (await this.#readPacked(entity, from, limit)).map(({ seq, key, value }) => {
      const r = this.#values.record(key, value)
      return r.rev === undefined ? { seq, epoch: r.epoch, event: r.event } : { seq, ...r }
    })
  }

  /** Records with seq >= from, in order, at most `limit`, as they are stored (not decoded): where
   * `read` stops (a hole, a damaged value) this stops too. */
  async readPacked (entity: string, from: number, limit: number): Promise<PackedRecord[]> {
    return await this.damageTold(this.#readPacked(entity, from, limit))
  }

  async #readPacked (entity: string, from: number, limit: number): Promise<PackedRecord[]> {
    const p = this.#partitionOf(entity)
    const out: PackedRecord[] = []
    let next = Math.max(1, from)
    for await (const batch of this.#store.sealedBatches({ gte: recordKey(p, entity, next), lte: recordEnd(p, entity), limit })) {
      for (const [key, value] of batch) {
        const seq = seqOf(key)
        if (seq !== next) {
          // `from` itself missing with a later record here, or one missing from the middle (lost
          // under the store): a hole, not the end of the log; the records stop before it, so no
          // reader takes the next one for it, and it is repaired from another replica
          this.#damaged(recordKey(p, entity, next))
          return out
        }
        out.push({ seq, key, value })
        next++
      }
    }
    return out
  }

  /** A record's event, from what readPacked gave (CorruptRecordError when it is not a record). */
  packedEvent (record: PackedRecord): unknown {
    return this.#values.record(record.key, record.value).event
  }

  /** A few records read by their keys (with other reads of the same turn: LevelStore.getMany);
   * undefined unless all of [from, from + limit) are here and read correctly (the range read then
   * finds where the log ends, a hole or a damaged record, as always). */
  async #readKeys (entity: string, from: number, limit: number): Promise<StoredRecord[] | undefined> {
    const p = this.#partitionOf(entity)
    const keys = Array.from({ length: limit }, (_, i) => recordKey(p, entity, from + i))
    let values: Array<Uint8Array | undefined>
    try {
      values = await this.#store.getMany(keys)
    } catch (err) {
      if (err instanceof CorruptRecordError) return undefined
      throw err
    }
    const out: StoredRecord[] = []
    for (let i = 0; i < keys.length; i++) {
      const value = values[i]
      if (value === undefined) return undefined
      const r = this.#values.recordOrUndefined(keys[i] as string, value)
      if (r === undefined) return undefined
      out.push({ seq: from + i, ...r })
    }
    return out
  }
}

/** An entity's records `from` to `from + count − 1` as `store` keeps them, seals and all, not
 * verified nor decoded (a backup copies them: its chunks' digests and GCM tags prove them from
 * then on, scrub proves the store); undefined when one of them is not there (the caller reads them
 * the checked way, which finds the hole). */
export async function readStoredRange (store: LevelStore, p: number, entity: string, from: number, count: number): Promise<Uint8Array[] | undefined> {
  const out: Uint8Array[] = []
  for await (const batch of store.storedValues({ gte: recordKey(p, entity, from), lte: recordKey(p, entity, from + count - 1), batch: STORED_READ_BATCH })) {
    for (const v of batch) out.push(v)
  }
  return out.length === count ? out : undefined
}
