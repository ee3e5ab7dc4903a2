import { ClassicLevel } from 'classic-level'
import { mkdir } from 'node:fs/promises'
import { DEFAULT_SYNC, META_FORMAT_KEY, READABLE_FORMATS, READ_STEP_BYTES, SEAL_HEADER_BYTES, SEAL_SHA256, STORE_FORMAT, STORE_WRITE_BUFFER_BYTES } from './constants.ts'
import { CorruptRecordError, StoreClosedError, StoreFormatError, StoreLockedError } from './errors.ts'
import { BatchedReader } from './batched-reader.ts'
import type { ReaderStats } from './batched-reader.ts'
import { GroupCommitWriter } from './group-commit.ts'
import type { WriteOp, WriterStats } from './group-commit.ts'
import { seal, sealDigest, unseal } from './record-seal.ts'

export interface LevelStoreOptions {
  /** fsync every batch before its writes resolve. @default true */
  sync?: boolean
  /** Bytes of writes LevelDB gathers in memory before it writes them out as a sorted table (its
   * write_buffer_size). @default STORE_WRITE_BUFFER_BYTES */
  writeBufferBytes?: number
}

/** A key below every key the store holds (they start with a letter): a compaction of it alone only
 * writes out what LevelDB holds in memory. */
const NO_KEY = '\x00'

/** A write: put (the value is sealed on its way in) or delete. A put marked `sealed` carries a value
 * sealed already, as this store sealed it under the same key (a record restored from a backup that
 * kept its stored bytes): it is written as it is, its seal not computed again. */
export type StoreOp = { readonly type: 'put', readonly key: string, readonly value: Uint8Array, readonly sealed?: true } | { readonly type: 'del', readonly key: string }

/**
 * The node's one LevelDB, under its data dir: a key-value store whose every value is sealed with a
 * SHA-256 of key and content (a flipped byte or a value moved to another key reads as
 * CorruptRecordError, never as data). Writes go through one group-commit writer, so they land in
 * the order they were issued and one fsync serves every write of a batch. What is stored, and
 * under which keys, is its users' business (node/replication's replicas).
 */
export class LevelStore {
  readonly dir: string
  readonly #db: ClassicLevel<string, Uint8Array>
  readonly #writer: GroupCommitWriter
  readonly #reader: BatchedReader
  #format = STORE_FORMAT
  #closing: Promise<void> | undefined
  readonly #lastWrites: Array<() => readonly StoreOp[]> = []

  private constructor (dir: string, db: ClassicLevel<string, Uint8Array>, sync: boolean) {
    this.dir = dir
    this.#db = db
    this.#writer = new GroupCommitWriter(db, sync)
    this.#reader = new BatchedReader(db)
    this.stats.writer = this.#writer.stats
    this.stats.reader = this.#reader.stats
  }

  /** Opens (or creates) the store in `dir`. Refuses a dir held by another process or written in
   * another format, with an error that says so. */
  static async open (dir: string, options: LevelStoreOptions = {}): Promise<LevelStore> {
    await mkdir(dir, { recursive: true })
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view', writeBufferSize: options.writeBufferBytes ?? STORE_WRITE_BUFFER_BYTES })
    try {
      await db.open()
    } catch (err) {
      const text = String((err as { cause?: unknown }).cause ?? err)
      if (/lock/i.test(text)) throw new StoreLockedError(dir, err)
      throw err
    }
    const store = new LevelStore(dir, db, options.sync ?? DEFAULT_SYNC)
    try {
      await store.#checkFormat()
    } catch (err) {
      await db.close()
      throw err
    }
    return store
  }

  get closed (): boolean { return this.#closing !== undefined }

  /** The layout the store was written in (an older one until its reader upgrades it). */
  get format (): string { return this.#format }

  /** Records the layout after an upgrade, in the same batch as its last writes. */
  formatOp (format: string = STORE_FORMAT): StoreOp {
    return { type: 'put', key: META_FORMAT_KEY, value: new TextEncoder().encode(format) }
  }

  /** Notes that an upgrade's writes (with formatOp) landed. */
  upgraded (): void { this.#format = STORE_FORMAT }

  /** Batches written and bytes, and point reads gathered (getMany), for metrics. */
  readonly stats = { writer: { batches: 0, operations: 0, bytes: 0 } as WriterStats, reader: { reads: 0, keys: 0 } as ReaderStats }

  /**
   * `last` is asked for the store's last writes at a clean close: once every other write has
   * landed (and no other can come), its ops go in one fsynced batch before the store closes. What
   * a user of the store derives from its values and keeps in memory can be written there, to be
   * read at the next open instead of derived again (LevelReplicaStorage's Merkle trees). A `last`
   * that throws writes nothing and closes the store all the same.
   */
  atClose (last: () => readonly StoreOp[]): void {
    this.#lastWrites.push(last)
  }

  /** Waits for every accepted write to reach the disk, writes what `atClose` asks, then closes.
   * Idempotent. */
  close (): Promise<void> {
    this.#closing ??= (async () => {
      await this.#writer.settled()
      for (const last of this.#lastWrites.splice(0)) {
        try {
          const ops = last()
          if (ops.length > 0) await this.#writer.write(this.#sealAll(ops), undefined, true)
        } catch (err) {
          // (an Error given to emitWarning drops its options: the code goes with a message)
          process.emitWarning(`the store's last write at close was not made: ${err instanceof Error ? err.message : String(err)}`, { code: 'PLEXI_STORE_LAST_WRITE', detail: err instanceof Error ? err.stack : undefined })
        }
      }
      await this.#writer.close()
      await this.#reader.close()
      await this.#db.close()
    })()
    return this.#closing
  }

  /** The value under `key` (its seal verified), or undefined. */
  async get (key: string): Promise<Uint8Array | undefined> {
    this.#assertOpen()
    const value = await this.#db.get(key)
    return value === undefined ? undefined : unseal(key, value)
  }

  /** The values under `keys` (undefined where none), each seal verified (CorruptRecordError at the
   * first that fails). Read with the other keys asked in the same turn, in one LevelDB read. */
  async getMany (keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    this.#assertOpen()
    const values = await this.#reader.getMany(keys)
    return values.map((value, i) => value === undefined ? undefined : unseal(keys[i] as string, value))
  }

  /** Applies the ops atomically, after every write issued before; resolves once durable.
   * `sealed` is told each put's seal digest (SHA-256 of key and value) as it is sealed, and
   * `landed` runs once the batch is on disk, just before the write resolves (a Merkle tree takes
   * the digests then, without a turn of its own). */
  write (ops: readonly StoreOp[], sealed?: (key: string, digest: Uint8Array) => void, landed?: () => void): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError())
    if (ops.length === 0) return Promise.resolve()
    return this.#write(ops, sealed, landed, false)
  }

  /** Applies the ops atomically and fsyncs them, whatever the store's `sync` setting: what must be
   * on disk before anything else is written (a derived state's copy dropped as the store opens). */
  writeDurably (ops: readonly StoreOp[]): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError())
    if (ops.length === 0) return Promise.resolve()
    return this.#write(ops, undefined, undefined, true)
  }

  /** Puts sealed (their own seals kept where they carry one), deletes as they are. */
  #sealAll (ops: readonly StoreOp[]): WriteOp[] {
    return ops.map((op) => op.type !== 'put' ? op : { type: 'put', key: op.key, value: op.sealed === true ? op.value : seal(op.key, op.value) })
  }

  #write (ops: readonly StoreOp[], sealed: ((key: string, digest: Uint8Array) => void) | undefined, landed: (() => void) | undefined, sync: boolean): Promise<void> {
    let unsealedPut: string | undefined
    const out: WriteOp[] = ops.map((op) => {
      if (op.type !== 'put') return op
      if (op.sealed === true) {
        if (op.value.byteLength < SEAL_HEADER_BYTES || op.value[0] !== SEAL_SHA256) unsealedPut ??= op.key
        sealed?.(op.key, sealDigest(op.value))
        return { type: 'put', key: op.key, value: op.value }
      }
      const value = seal(op.key, op.value)
      sealed?.(op.key, sealDigest(value))
      return { type: 'put', key: op.key, value }
    })
    if (unsealedPut !== undefined) return Promise.reject(new CorruptRecordError(unsealedPut, 'a value given as sealed has no seal: nothing was written'))
    return this.#writer.write(out, landed, sync)
  }

  /**
   * Rewrites the LevelDB files that hold keys in [gte, lte], so that the space of values deleted
   * or overwritten there (a trimmed journal, a redacted post's old text) is given back and their
   * bytes are gone from the files, not only from reads. `gte` and `lte` are bounds that never hold
   * a value (a deletion is written at each): one that holds a value is refused (an Error), the
   * store unchanged.
   *
   * LevelDB's manual compaction writes out what is in memory, then merges each level holding the
   * range into the next one down, but not the deepest (as it was before what was in memory was
   * written out): a table there is left as it is. And a table written out from memory keeps every
   * version it held, so a post and its redaction written out together (a small store, or a write
   * buffer that held both) would be one table that no compaction takes. So what is in memory is
   * written out first (a compaction of a range that holds no key), then deletions at both bounds
   * make the next table written from memory span the whole range: it lands above every table
   * holding part of it, and the range's compaction merges them all down into one.
   */
  async compactRange (gte: string, lte: string): Promise<void> {
    this.#assertOpen()
    const held = (await this.#db.getMany([gte, lte])).flatMap((v, i) => v === undefined ? [] : [[gte, lte][i] as string])
    if (held.length > 0) throw new Error(`compactRange: its bounds must hold no value (a deletion is written there), and ${held.map((k) => JSON.stringify(k)).join(' and ')} ${held.length > 1 ? 'hold one each' : 'holds one'}`)
    await this.#db.compactRange(NO_KEY, NO_KEY)
    await this.write([{ type: 'del', key: gte }, { type: 'del', key: lte }])
    await this.#db.compactRange(gte, lte)
  }

  /** Keys in [gte, lte] with the seal digest stored in each value, not verified (what a Merkle
   * tree is built from; scrub verifies). */
  async * digests (options: { gte: string, lte: string }): AsyncGenerator<[string, Uint8Array]> {
    for await (const batch of this.digestBatches(options)) yield * batch
  }

  /** The same, a batch at a time (up to `batch` from the native side per step): one await per
   * batch, not per entry, for callers that read many. */
  async * digestBatches (options: { gte: string, lte: string, batch?: number }): AsyncGenerator<Array<[string, Uint8Array]>> {
    this.#assertOpen()
    const iterator = this.#db.iterator({ gte: options.gte, lte: options.lte, highWaterMarkBytes: READ_STEP_BYTES })
    try {
      for (;;) {
        const entries = await iterator.nextv(options.batch ?? 1_000)
        if (entries.length === 0) return
        yield entries.map(([key, value]): [string, Uint8Array] => {
          if (value.byteLength < SEAL_HEADER_BYTES) throw new CorruptRecordError(key, `value is ${value.byteLength} bytes, shorter than its seal`)
          return [key, Uint8Array.from(sealDigest(value))]
        })
      }
    } finally {
      await iterator.close()
    }
  }

  /** The value under `key` as stored, seal and all, not verified (scrub and repair look at what
   * is on disk; undefined when there is none). */
  async getRaw (key: string): Promise<Uint8Array | undefined> {
    this.#assertOpen()
    // a copy (a Buffer's slice() is a view into memory LevelDB may use again)
    const value = await this.#db.get(key)
    return value === undefined ? undefined : Uint8Array.from(value)
  }

  /** The values under `keys` as stored, not verified (undefined where none): what getRaw gives, for
   * many keys at once, read like getMany. */
  async getManyRaw (keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    this.#assertOpen()
    const values = await this.#reader.getMany(keys)
    return values.map((v) => v === undefined ? undefined : Uint8Array.from(v))
  }

  /** Entries with keys in [gte, lte] as stored, not verified, `batch` at a time from the native
   * side (scrub verifies them itself, at its own pace). */
  async * rawBatches (options: { gte: string, lte: string, batch?: number, limit?: number }): AsyncGenerator<Array<[string, Uint8Array]>> {
    this.#assertOpen()
    const iterator = this.#db.iterator({ gte: options.gte, lte: options.lte, limit: options.limit ?? -1, highWaterMarkBytes: READ_STEP_BYTES })
    try {
      for (;;) {
        const entries = await iterator.nextv(options.batch ?? 256)
        if (entries.length === 0) return
        yield entries
      }
    } finally {
      await iterator.close()
    }
  }

  /** The values under the keys in [gte, lte] as stored, seals and all, not verified, in key order,
   * `batch` at a time from the native side (no key is read back: a backup copies the stored bytes
   * of a range whose keys it knows, and its chunks' digests and AEAD tags prove them from then on). */
  async * storedValues (options: { gte: string, lte: string, batch?: number, limit?: number }): AsyncGenerator<Uint8Array[]> {
    this.#assertOpen()
    const iterator = this.#db.iterator({ gte: options.gte, lte: options.lte, limit: options.limit ?? -1, keys: false, highWaterMarkBytes: READ_STEP_BYTES })
    try {
      for (;;) {
        const entries = await iterator.nextv(options.batch ?? 1_000)
        if (entries.length === 0) return
        yield entries.map((e) => e[1])
      }
    } finally {
      await iterator.close()
    }
  }

  /** Writes a value exactly as given, not sealed (tests and fault drills damage stored values this
   * way; nothing in the node calls it). */
  async putRawForTesting (key: string, value: Uint8Array): Promise<void> {
    this.#assertOpen()
    await this.#db.put(key, value)
  }

  /** Makes the next batch written fail with `err`, nothing of it landing (tests and fault drills
   * fail writes this way; nothing in the node calls it). */
  failNextWriteForTesting (err: Error): void { this.#writer.failNext(err) }

  /** Every write fails with `err` until called with undefined, as on a disk that stays full (tests). */
  failWritesForTesting (err: Error | undefined): void { this.#writer.failAll(err) }

  /** Entries with keys in [gte, lte], in key order (or reverse), each value's seal verified
   * (sealedBatches, an entry at a time). */
  async * range (options: { gte: string, lte: string, limit?: number, reverse?: boolean }): AsyncGenerator<[string, Uint8Array]> {
    for await (const batch of this.sealedBatches(options)) yield * batch
  }

  /** Entries with keys in [gte, lte], in key order (or reverse), a batch at a time (up to 1,000 from the native
 * side in one call), each value's seal verified: the hot path of journal reads, with no step per
 * entry. At the first value that fails its seal, the entries before it come as a batch, then
 * CorruptRecordError. */
  async * sealedBatches (options: { gte: string, lte: string, limit?: number, reverse?: boolean }): AsyncGenerator<Array<[string, Uint8Array]>> {
    this.#assertOpen()
    const limit = options.limit ?? -1
    const iterator = this.#db.iterator({ gte: options.gte, lte: options.lte, limit, reverse: options.reverse ?? false, highWaterMarkBytes: READ_STEP_BYTES })
    try {
      for (;;) {
        const entries = await iterator.nextv(limit > 0 ? Math.min(limit, 1_000) : 1_000) as Array<[string, Uint8Array]>
        if (entries.length === 0) return
        let failed: unknown
        let i = 0
        for (; i < entries.length; i++) {
          const e = entries[i] as [string, Uint8Array]
          try {
            e[1] = unseal(e[0], e[1])
          } catch (err) {
            failed = err
            break
          }
        }
        if (failed === undefined) {
          yield entries
          continue
        }
        if (i > 0) yield entries.slice(0, i)
        throw failed
      }
    } finally {
      await iterator.close()
    }
  }

  /** Keys in [gte, lte], in order, without reading values. */
  async keys (options: { gte: string, lte: string, limit?: number, reverse?: boolean }): Promise<string[]> {
    this.#assertOpen()
    return await this.#db.keys({ gte: options.gte, lte: options.lte, limit: options.limit ?? -1, reverse: options.reverse ?? false }).all()
  }

  async #checkFormat (): Promise<void> {
    const value = await this.#db.get(META_FORMAT_KEY)
    if (value === undefined) {
      const any = await this.#db.keys({ limit: 1 }).all()
      if (any.length > 0) throw new StoreFormatError(`${this.dir} holds a LevelDB that is not a Plexi store (no format record)`)
      await this.write([this.formatOp()])
      return
    }
    const format = new TextDecoder().decode(unseal(META_FORMAT_KEY, value))
    if (!READABLE_FORMATS.includes(format)) {
      throw new StoreFormatError(`${this.dir} holds a store of format ${JSON.stringify(format)}; this version reads ${READABLE_FORMATS.map((f) => JSON.stringify(f)).join(' and ')}`)
    }
    this.#format = format
  }

  #assertOpen (): void {
    if (this.#closing !== undefined) throw new StoreClosedError()
  }
}
