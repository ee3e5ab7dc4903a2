import { ClassicLevel } from 'classic-level'
import { mkdir } from 'node:fs/promises'
import { createPlainCodec } from '../../actors/index.ts'
import {
  DEFAULT_SYNC, JOURNAL_PREFIX, MAX_READ_LIMIT, META_FORMAT_KEY, SEQ_HEX_DIGITS, SNAPSHOT_PREFIX, STORE_FORMAT
} from './constants.ts'
import { CorruptRecordError, StoreClosedError, StoreFormatError, StoreLockedError } from './errors.ts'
import { GroupCommitWriter } from './group-commit.ts'
import type { WriterStats } from './group-commit.ts'
import { seal, unseal } from './record-seal.ts'
import type { Journal, JournalRecord, PlainCodec, Snapshot, SnapshotStore } from '../../actors/index.ts'

export interface LevelStoreOptions {
  /** fsync every batch before its writes resolve. @default true */
  sync?: boolean
}

/**
 * The node's one LevelDB, under its data dir: entity journals and snapshots, every value sealed
 * with a SHA-256 of key and content. Writes go through one group-commit writer, so journal
 * appends and snapshots land in the order they were issued.
 */
export class LevelStore {
  readonly dir: string
  readonly journal: Journal
  readonly snapshots: SnapshotStore
  readonly #db: ClassicLevel<string, Uint8Array>
  readonly #writer: GroupCommitWriter
  readonly #codec: PlainCodec
  #closing: Promise<void> | undefined

  private constructor (dir: string, db: ClassicLevel<string, Uint8Array>, sync: boolean) {
    this.dir = dir
    this.#db = db
    this.#writer = new GroupCommitWriter(db, sync)
    this.stats.writer = this.#writer.stats
    this.#codec = createPlainCodec()
    this.journal = {
      append: (entityId, records) => this.#append(entityId, records),
      read: (entityId, options) => this.#read(entityId, options),
      replay: (entityId, from) => this.#replay(entityId, from),
      highestSeq: (entityId) => this.#highestSeq(entityId)
    }
    this.snapshots = {
      save: (entityId, snapshot) => this.#saveSnapshot(entityId, snapshot),
      load: (entityId) => this.#loadSnapshot(entityId)
    }
  }

  /** Opens (or creates) the store in `dir`. Refuses a dir held by another process or written in
   * another format, with an error that says so. */
  static async open (dir: string, options: LevelStoreOptions = {}): Promise<LevelStore> {
    await mkdir(dir, { recursive: true })
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' })
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

  /** Journal records submitted for appending, and what the writer has made durable (records,
   * snapshots and batches). */
  readonly stats = { appends: 0, writer: { batches: 0, operations: 0, bytes: 0 } as WriterStats }

  /** Waits for every accepted write to reach the disk, then closes. Idempotent. */
  close (): Promise<void> {
    this.#closing ??= (async () => {
      await this.#writer.close()
      await this.#db.close()
    })()
    return this.#closing
  }

  async #checkFormat (): Promise<void> {
    const value = await this.#db.get(META_FORMAT_KEY)
    if (value === undefined) {
      const any = await this.#db.keys({ limit: 1 }).all()
      if (any.length > 0) throw new StoreFormatError(`${this.dir} holds a LevelDB that is not a Plexi store (no format record)`)
      await this.#writer.write([{ type: 'put', key: META_FORMAT_KEY, value: seal(META_FORMAT_KEY, new TextEncoder().encode(STORE_FORMAT)) }])
      return
    }
    const format = new TextDecoder().decode(unseal(META_FORMAT_KEY, value))
    if (format !== STORE_FORMAT) {
      throw new StoreFormatError(`${this.dir} holds a store of format ${JSON.stringify(format)}; this version reads ${JSON.stringify(STORE_FORMAT)}`)
    }
  }

  // ---- journal ------------------------------------------------------------------------------

  #append (entityId: string, records: readonly JournalRecord[]): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError())
    if (records.length === 0) return Promise.resolve()
    for (const record of records) {
      if (!Number.isSafeInteger(record.seq) || record.seq < 1) {
        return Promise.reject(new RangeError(`journal seq must be a positive safe integer, got ${record.seq} for ${entityId}`))
      }
    }
    const ops = records.map((record) => {
      const key = journalKey(entityId, record.seq)
      return { type: 'put' as const, key, value: seal(key, this.#codec.encode(record.event)) }
    })
    this.stats.appends += ops.length
    return this.#writer.write(ops)
  }

  async #read (entityId: string, options: { from: number, limit: number }): Promise<JournalRecord[]> {
    if (!Number.isFinite(options.from) || !Number.isFinite(options.limit)) {
      throw new RangeError(`journal read needs finite from and limit, got from=${options.from} limit=${options.limit}`)
    }
    const from = Math.max(1, Math.floor(options.from))
    const limit = Math.max(0, Math.min(MAX_READ_LIMIT, Math.floor(options.limit)))
    if (limit === 0) return []
    this.#assertOpen()
    const entries = await this.#db.iterator({ gte: journalKey(entityId, from), lte: journalEnd(entityId), limit }).all()
    return entries.map(([key, value]) => this.#decodeRecord(key, value))
  }

  async * #replay (entityId: string, from: number): AsyncGenerator<JournalRecord> {
    this.#assertOpen()
    const iterator = this.#db.iterator({ gte: journalKey(entityId, Math.max(1, from)), lte: journalEnd(entityId) })
    try {
      for await (const [key, value] of iterator) yield this.#decodeRecord(key, value)
    } finally {
      await iterator.close()
    }
  }

  async #highestSeq (entityId: string): Promise<number> {
    this.#assertOpen()
    const [last] = await this.#db.keys({ gte: journalKey(entityId, 0), lte: journalEnd(entityId), reverse: true, limit: 1 }).all()
    return last === undefined ? 0 : seqOf(last)
  }

  #decodeRecord (key: string, value: Uint8Array): JournalRecord {
    const payload = unseal(key, value)
    let event: unknown
    try {
      event = this.#codec.decode(payload)
    } catch (err) {
      throw new CorruptRecordError(key, `sealed but not decodable: ${(err as Error).message}`)
    }
    return { seq: seqOf(key), event }
  }

  // ---- snapshots ----------------------------------------------------------------------------

  #saveSnapshot (entityId: string, snapshot: Snapshot): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError())
    const key = SNAPSHOT_PREFIX + entityId
    return this.#writer.write([{ type: 'put', key, value: seal(key, this.#codec.encode({ seq: snapshot.seq, state: snapshot.state })) }])
  }

  async #loadSnapshot (entityId: string): Promise<Snapshot | undefined> {
    this.#assertOpen()
    const key = SNAPSHOT_PREFIX + entityId
    const value = await this.#db.get(key)
    if (value === undefined) return undefined
    const decoded = this.#codec.decode(unseal(key, value)) as Partial<Snapshot> | null
    if (decoded === null || typeof decoded !== 'object' || !Number.isInteger(decoded.seq) || (decoded.seq as number) < 1) {
      throw new CorruptRecordError(key, 'sealed but not a snapshot')
    }
    return { seq: decoded.seq as number, state: decoded.state }
  }

  #assertOpen (): void {
    if (this.#closing !== undefined) throw new StoreClosedError()
  }
}

function journalKey (entityId: string, seq: number): string {
  return `${JOURNAL_PREFIX}${entityId}\x00${seq.toString(16).padStart(SEQ_HEX_DIGITS, '0')}`
}

function journalEnd (entityId: string): string {
  return `${JOURNAL_PREFIX}${entityId}\x00${'f'.repeat(SEQ_HEX_DIGITS)}`
}

function seqOf (key: string): number {
  return Number.parseInt(key.slice(key.length - SEQ_HEX_DIGITS), 16)
}
