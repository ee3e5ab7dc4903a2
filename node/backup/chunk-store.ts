import { createHash } from 'node:crypto'
import { mkdir, open, readdir } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { checkChunkId, isChunkId } from './backup-key.ts'
import {
  CHALLENGE_NONCE_MAX_BYTES, CHALLENGE_NONCE_MIN_BYTES, CHUNK_OVERHEAD_BYTES, DEFAULT_STORE_LIST_LIMIT,
  MAX_STORE_BATCH_BYTES, MAX_STORE_IDS, PACK_RECORD_HEADER_BYTES, PACK_TARGET_BYTES
} from './constants.ts'
import { ChunkDamagedError, ChunkDigestMismatchError, ChunkStoreClosedError, InvalidBackupInputError } from './errors.ts'
import { GroupCommit } from './group-commit.ts'
import type { ChunkToStore } from './group-commit.ts'
import { PackCompaction } from './pack-compaction.ts'
import { PackIndex } from './pack-index.ts'
import type { ChunkStoreDamage, Pack } from './pack-index.ts'
import { MAX_SEALED_BYTES, sha256 } from './pack-record.ts'
import { scanPack } from './pack-scan.ts'
import { PackWriter } from './pack-writer.ts'
import { StoreLock } from './store-lock.ts'
import { syncDir } from './sync-dir.ts'
import { valueShape } from './value-shape.ts'

export type { ChunkStoreDamage } from './pack-index.ts'
export type { ChunkToStore } from './group-commit.ts'

export interface ChunkStoreOptions {
  /** A new pack file starts once the current one is this large.
   * @default PACK_TARGET_BYTES (64 MiB) */
  readonly packTargetBytes?: number
}

export interface ChunkStoreStats {
  /** Chunks held, and their sealed bytes. */
  readonly chunks: number
  readonly bytes: number
  readonly packs: number
  /** Bytes of every pack file, and of those no longer needed (removed or superseded records,
   * headers of live ones excluded): what compaction could free. */
  readonly packBytes: number
  readonly deadBytes: number
  /** Writes made (each one write and one fsync), however many callers each served. */
  readonly commits: number
  /** Bytes cut from the last pack's tail on open (a write a crash tore: never acknowledged). */
  readonly cutBytes: number
  readonly damaged: readonly ChunkStoreDamage[]
}

const HEX64 = /^[0-9a-f]{64}$/
const PACK_NAME = /^(\d{8,})\.pack$/

/**
 * What a `backup`-role node keeps of other nodes' backups: sealed chunks (it has no key), each
 * under its chunk id and checked against the SHA-256 of its sealed bytes on the way in and on
 * every read.
 *
 * Chunks are appended to pack files (`packs/<n>.pack`, as restic and borg do): a batch is one
 * write and one fsync, whatever its chunk count. Each record carries its id, digest and length
 * under a header checksum, so `open` rebuilds the index from the headers alone (reading every body
 * of the last pack only, the one a crash may have torn). Removes append tombstones; later records
 * win; `compact` rewrites packs that are mostly dead.
 *
 * Concurrent puts and removes are group-committed: those that arrive while a write and fsync are
 * in flight go, in arrival order, into the next write. Each call resolves once its records are
 * durable.
 */
export class ChunkStore {
  readonly dir: string
  readonly #index = new PackIndex()
  readonly #writer: PackWriter
  readonly #compaction: PackCompaction
  readonly #writes: GroupCommit
  #lock: StoreLock | undefined
  #cutBytes = 0
  #closed = false

  private constructor (dir: string, packTarget: number) {
    this.dir = dir
    this.#writer = new PackWriter(dir, packTarget, this.#index)
    this.#compaction = new PackCompaction(this.#index, this.#writer)
    this.#writes = new GroupCommit(this.#index, this.#writer, this.#compaction)
  }

  /**
   * Opens (creating it if missing) the store in `dir`, taking its lock (ChunkStoreLockedError
   * when another store, in this process or another live one, holds it), and rebuilds the index.
   * A torn tail of the last pack is cut; damage elsewhere is skipped and reported in stats().
   */
  static async open (dir: string, options: ChunkStoreOptions = {}): Promise<ChunkStore> {
    if (typeof dir !== 'string' || dir === '' || dir.includes('\0')) throw new InvalidBackupInputError(`a chunk store's directory is a non-empty path, got ${valueShape(dir)}`)
    if (options === null || typeof options !== 'object') throw new InvalidBackupInputError(`chunk store options are an object, got ${valueShape(options)}`)
    const packTarget = options.packTargetBytes ?? PACK_TARGET_BYTES
    if (!Number.isSafeInteger(packTarget) || packTarget < 1) throw new InvalidBackupInputError(`packTargetBytes is a positive integer, got ${valueShape(packTarget)}`)
    const store = new ChunkStore(resolve(dir), packTarget)
    await mkdir(store.#writer.packsDir, { recursive: true })
    const lock = await StoreLock.take(store.dir)
    try {
      // the store's directories must survive a power loss as well as what is acknowledged in them
      await syncDir(dirname(store.dir))
      await syncDir(store.dir)
      await store.#load()
    } catch (err) {
      await store.#writer.close()
      await lock.release()
      throw err
    }
    store.#lock = lock
    return store
  }

  /** Chunks held. */
  get size (): number { return this.#index.size }
  /** Sealed bytes held (the sum of the chunks' lengths). */
  get bytes (): number { return this.#index.bytes }

  stats (): ChunkStoreStats {
    let packBytes = 0
    let live = 0
    for (const p of this.#index.packs()) {
      packBytes += p.size
      live += p.live
    }
    return {
      chunks: this.#index.size,
      bytes: this.#index.bytes,
      packs: this.#index.packCount,
      packBytes,
      deadBytes: packBytes - live,
      commits: this.#writer.commits,
      cutBytes: this.#cutBytes,
      damaged: [...this.#index.damaged]
    }
  }

  /**
   * Stores the chunks not yet held, durably, and says how many it stored and how many it had
   * already. Every entry is checked first (id, digest, size, and the digest against the bytes:
   * ChunkDigestMismatchError names a chunk whose bytes are not what the sender sealed); a batch
   * with any bad entry stores nothing.
   */
  async put (chunks: readonly ChunkToStore[]): Promise<{ stored: number, had: number }> {
    this.#checkOpen()
    if (!Array.isArray(chunks) || chunks.length > MAX_STORE_IDS) throw new InvalidBackupInputError(`a put is an array of at most ${MAX_STORE_IDS} chunks, got ${valueShape(chunks)}`)
    let bytes = 0
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i] as ChunkToStore | null
      if (c === null || typeof c !== 'object') throw new InvalidBackupInputError(`chunks[${i}] is { id, digest, sealed }, got ${valueShape(c)}`)
      if (!isChunkId(c.id)) throw new InvalidBackupInputError(`chunks[${i}].id is a chunk id (64 lowercase hex characters), got ${valueShape(c.id)}`)
      if (typeof c.digest !== 'string' || !HEX64.test(c.digest)) throw new InvalidBackupInputError(`chunks[${i}].digest (chunk ${c.id}) is a SHA-256 in 64 lowercase hex characters, got ${valueShape(c.digest)}`)
      if (!(c.sealed instanceof Uint8Array) || c.sealed.byteLength < CHUNK_OVERHEAD_BYTES || c.sealed.byteLength > MAX_SEALED_BYTES) {
        throw new InvalidBackupInputError(`chunks[${i}].sealed (chunk ${c.id}) is a Uint8Array of ${CHUNK_OVERHEAD_BYTES} to ${MAX_SEALED_BYTES} bytes, got ${valueShape(c.sealed)}`)
      }
      bytes += c.sealed.byteLength
    }
    if (bytes > MAX_STORE_BATCH_BYTES) throw new InvalidBackupInputError(`a put carries at most ${MAX_STORE_BATCH_BYTES} sealed bytes, got ${bytes}: split it`)
    // after the cheap checks, so a malformed batch costs no hashing
    for (const c of chunks) {
      const actual = sha256(c.sealed).toString('hex')
      if (actual !== c.digest) throw new ChunkDigestMismatchError(c.id, c.digest, actual)
    }
    if (chunks.length === 0) return { stored: 0, had: 0 }
    return await this.#writes.put(chunks, bytes)
  }

  /** For each id, whether it is held. */
  has (ids: readonly string[]): boolean[] {
    this.#checkOpen()
    checkIds(ids)
    return ids.map((id) => this.#index.has(id))
  }

  /**
   * The sealed bytes of a held chunk (undefined when not held), checked against their digest: a
   * copy that does not match throws ChunkDamagedError (the caller repairs it from another copy);
   * bad bytes are never returned.
   */
  async get (id: string): Promise<Buffer | undefined> {
    this.#checkOpen()
    checkChunkId(id)
    return await this.#read(id)
  }

  /** SHA-256(nonce ‖ sealed) in hex of the held copy (checked against its digest first: a
   * damaged one throws ChunkDamagedError), undefined when not held: proof that this store holds the
   * whole chunk now, which a store keeping only digests could not give for a fresh nonce. */
  async challenge (id: string, nonce: Uint8Array): Promise<string | undefined> {
    this.#checkOpen()
    checkChunkId(id)
    if (!(nonce instanceof Uint8Array) || nonce.byteLength < CHALLENGE_NONCE_MIN_BYTES || nonce.byteLength > CHALLENGE_NONCE_MAX_BYTES) {
      throw new InvalidBackupInputError(`a challenge nonce is a Uint8Array of ${CHALLENGE_NONCE_MIN_BYTES} to ${CHALLENGE_NONCE_MAX_BYTES} bytes, got ${valueShape(nonce)}`)
    }
    const sealed = await this.#read(id)
    if (sealed === undefined) return undefined
    return createHash('sha256').update(nonce).update(sealed).digest('hex')
  }

  /** Reads a chunk and checks it: 'missing' when not held, 'damaged' when its bytes do not match
   * (or, given `digest`, when the copy held is not the one of that digest). */
  async verify (id: string, digest?: string): Promise<'ok' | 'missing' | 'damaged'> {
    this.#checkOpen()
    checkChunkId(id)
    const entry = this.#index.get(id)
    if (entry === undefined) return 'missing'
    if (digest !== undefined && entry.digest !== digest) return 'damaged'
    try {
      return (await this.#read(id)) === undefined ? 'missing' : 'ok'
    } catch (err) {
      if (err instanceof ChunkDamagedError) return 'damaged'
      throw err
    }
  }

  /** Held ids greater than `after`, in order, at most `limit`: pages of the whole store. */
  list (after?: string, limit = DEFAULT_STORE_LIST_LIMIT): string[] {
    this.#checkOpen()
    if (after !== undefined) checkChunkId(after)
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_STORE_IDS) throw new InvalidBackupInputError(`a list limit is an integer of 1 to ${MAX_STORE_IDS}, got ${valueShape(limit)}`)
    return this.#index.page(after, limit)
  }

  /** Forgets the chunks (tombstones, one fsync) and says how many of them were held. */
  async remove (ids: readonly string[]): Promise<number> {
    this.#checkOpen()
    checkIds(ids)
    if (ids.length === 0) return 0
    return await this.#writes.remove(ids)
  }

  /**
   * Rewrites each pack whose dead bytes are more than half of it: its live records are checked,
   * appended to the current pack and made durable, and only then is the old pack deleted. A crash
   * at any point leaves at most two identical copies of a chunk, never none. Packs are rewritten
   * one at a time, between other writes, in ascending order. A damaged pack is left alone.
   */
  async compact (): Promise<{ packsRewritten: number, bytesFreed: number }> {
    this.#checkOpen()
    const candidates = this.#compaction.candidates()
    let packsRewritten = 0
    let bytesFreed = 0
    for (const pack of candidates) {
      // close() lets the step in flight finish and stops the rest
      if (this.#closed) break
      const freed = await this.#writes.compact(pack)
      if (freed === undefined) continue
      packsRewritten++
      bytesFreed += freed
    }
    return { packsRewritten, bytesFreed }
  }

  /** Waits for the writes already asked for, then closes; every later call throws
   * ChunkStoreClosedError. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#writes.drained()
    await this.#writer.close()
    await this.#lock?.release()
  }

  #checkOpen (): void {
    if (this.#closed) throw new ChunkStoreClosedError(`the chunk store in ${this.dir} is closed`)
  }

  // ---- reading ----

  async #read (id: string): Promise<Buffer | undefined> {
    // a compaction may move the record and delete its pack between the lookup and the open: then
    // the index names the new place, and the read is tried there
    for (let attempt = 0; ; attempt++) {
      const entry = this.#index.get(id)
      if (entry === undefined) return undefined
      const path = this.#writer.path(entry.pack)
      let handle: FileHandle
      try {
        handle = await open(path, 'r')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        if (this.#index.get(id) !== entry && attempt < 3) continue
        throw new ChunkDamagedError(id, path, 'its pack file is missing')
      }
      let body: Buffer
      try {
        body = Buffer.allocUnsafe(entry.length)
        const { bytesRead } = await handle.read(body, 0, entry.length, entry.offset + PACK_RECORD_HEADER_BYTES)
        if (bytesRead !== entry.length) throw new ChunkDamagedError(id, path, `the pack ends ${entry.length - bytesRead} bytes before the chunk does`)
      } finally {
        await handle.close()
      }
      if (sha256(body).toString('hex') !== entry.digest) throw new ChunkDamagedError(id, path, 'its bytes do not match their SHA-256 (bit rot or an outside write)')
      return body
    }
  }

  // ---- opening ----

  async #load (): Promise<void> {
    const numbers = (await readdir(this.#writer.packsDir)).flatMap((name) => {
      const m = PACK_NAME.exec(name)
      return m === null ? [] : [Number(m[1])]
    }).sort((a, b) => a - b)
    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i] as number
      const last = i === numbers.length - 1
      const handle = await open(this.#writer.path(n), last ? 'r+' : 'r')
      try {
        await this.#loadPack(n, handle, last)
      } finally {
        if (!this.#writer.holds(handle)) await handle.close()
      }
    }
    if (numbers.length === 0) await this.#writer.newPack(1)
  }

  /** Indexes pack `n`'s records; the last pack's torn tail is cut, and it is appended to from now on. */
  async #loadPack (n: number, handle: FileHandle, last: boolean): Promise<void> {
    const size = (await handle.stat()).size
    const pack: Pack = { n, size, live: 0, damaged: false }
    this.#index.addPack(pack)
    const scan = await scanPack(handle, size, last)
    for (const r of scan.records) this.#index.apply(r, n, r.offset)
    if (scan.end < size) {
      if (last) {
        // after a crash the records past the last fsync are unknown: whatever does not check
        // out there, and everything after it, was never acknowledged
        await handle.truncate(scan.end)
        await handle.datasync()
        this.#cutBytes = size - scan.end
        pack.size = scan.end
      } else {
        this.#index.markDamaged(pack, this.#writer.path(n), scan.end, scan.why)
      }
    }
    if (last) this.#writer.resume(pack, handle)
  }
}

function checkIds (ids: unknown): asserts ids is readonly string[] {
  if (!Array.isArray(ids) || ids.length > MAX_STORE_IDS) throw new InvalidBackupInputError(`expected an array of at most ${MAX_STORE_IDS} chunk ids, got ${valueShape(ids)}`)
  for (let i = 0; i < ids.length; i++) {
    if (!isChunkId(ids[i])) throw new InvalidBackupInputError(`ids[${i}] is a chunk id (64 lowercase hex characters), got ${valueShape(ids[i])}`)
  }
}
