import { createHash, randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, readdir, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { checkChunkId, isChunkId } from './backup-key.ts'
import {
  CHALLENGE_NONCE_MAX_BYTES, CHALLENGE_NONCE_MIN_BYTES, CHUNK_OVERHEAD_BYTES, CHUNK_SIZE_CEILING, DEFAULT_STORE_LIST_LIMIT,
  MAX_STORE_BATCH_BYTES, MAX_STORE_IDS, PACK_RECORD_HEADER_BYTES, PACK_RECORD_MAGIC, PACK_RECORD_PUT, PACK_RECORD_REMOVE,
  PACK_SCAN_READ_BYTES, PACK_TARGET_BYTES
} from './constants.ts'
import {
  ChunkDamagedError, ChunkDigestMismatchError, ChunkStoreBrokenError, ChunkStoreClosedError, ChunkStoreFullError,
  ChunkStoreLockedError, InvalidBackupInputError
} from './errors.ts'
import { valueShape } from './value-shape.ts'

/** A sealed chunk to store: `digest` is ciphertextDigest(sealed), checked before anything is
 * written. The bytes must not change until put resolves (they are written as given). */
export interface ChunkToStore {
  readonly id: string
  readonly digest: string
  readonly sealed: Uint8Array
}

export interface ChunkStoreOptions {
  /** A new pack file starts once the current one is this large.
   * @default PACK_TARGET_BYTES (64 MiB) */
  readonly packTargetBytes?: number
}

/** A part of a pack file that open could not read: nothing of it is indexed, nothing of it is
 * deleted (compaction leaves a damaged pack alone). */
export interface ChunkStoreDamage {
  readonly pack: string
  readonly offset: number
  readonly why: string
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

/** Where a held chunk's record is. Replaced, never changed, when the record moves (a read that
 * raced a compaction sees that its entry is no longer the index's). */
interface Entry {
  readonly pack: number
  readonly offset: number
  readonly length: number
  readonly digest: string
  /** Put records of this id in pack files (this one, and dead ones compaction has not yet dropped). */
  puts: number
}

/** The latest remove record of an id that is not held, kept while a put record of that id is in
 * some pack: dropping it then would bring the chunk back on the next open. */
interface Tombstone {
  readonly pack: number
  readonly offset: number
  puts: number
}

interface Pack {
  readonly n: number
  size: number
  /** Bytes of records the state needs (live puts, needed tombstones); the rest is dead. */
  live: number
  damaged: boolean
}

interface Header {
  readonly kind: typeof PACK_RECORD_PUT | typeof PACK_RECORD_REMOVE
  readonly id: string
  readonly digest: string
  readonly length: number
}

interface ScannedRecord extends Header {
  readonly offset: number
}

type Op =
  | { readonly type: 'put', readonly chunks: readonly ChunkToStore[], readonly bytes: number,
    readonly resolve: (r: { stored: number, had: number }) => void, readonly reject: (err: unknown) => void }
  | { readonly type: 'remove', readonly ids: readonly string[], readonly bytes: number,
    readonly resolve: (held: number) => void, readonly reject: (err: unknown) => void }
  | { readonly type: 'compact', readonly pack: number, readonly bytes: number,
    readonly resolve: (freed: number | undefined) => void, readonly reject: (err: unknown) => void }

/** A record to append: header fields and, for a put, the body. */
interface Append {
  readonly kind: typeof PACK_RECORD_PUT | typeof PACK_RECORD_REMOVE
  readonly id: string
  readonly digest: string
  readonly body: Uint8Array | undefined
}

// Record header: [magic 4][kind 1][id 32][digest 32][length u32 BE][checksum 4], then `length` bytes.
const KIND_AT = 4
const ID_AT = 5
const DIGEST_AT = 37
const LENGTH_AT = 69
const CHECKSUM_AT = 73
const RECORD_HEADER_BYTES = PACK_RECORD_HEADER_BYTES
const MAGIC = Buffer.from(PACK_RECORD_MAGIC, 'latin1')
const ZERO_DIGEST = '0'.repeat(64)
const MAX_SEALED_BYTES = CHUNK_SIZE_CEILING + CHUNK_OVERHEAD_BYTES
const HEX64 = /^[0-9a-f]{64}$/
const PACK_NAME = /^(\d{8,})\.pack$/
const LOCK_FILE = 'lock'
/** What a lock file holds: the pid and the start time of the process that holds it; a pid alone
 * cannot tell this process from an earlier one of the same pid (a container's pid 1). */
const LOCK_LINE = /^(\d+) (\d+(?:\.\d+)?)\n$/

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
  readonly #packsDir: string
  readonly #packTarget: number
  readonly #index = new Map<string, Entry>()
  readonly #tombstones = new Map<string, Tombstone>()
  readonly #packs = new Map<number, Pack>()
  readonly #damaged: ChunkStoreDamage[] = []
  /** Sorted ids (some perhaps removed since: filtered on read) and the ids added since the sort. */
  #sorted: string[] = []
  #added: string[] = []
  #removedSinceSort = 0
  #bytes = 0
  #commits = 0
  #cutBytes = 0
  #current!: { pack: Pack, handle: FileHandle }
  #queue: Op[] = []
  #pumping: Promise<void> | undefined
  #closed = false
  #broken: Error | undefined

  private constructor (dir: string, packTarget: number) {
    this.dir = dir
    this.#packsDir = join(dir, 'packs')
    this.#packTarget = packTarget
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
    await mkdir(store.#packsDir, { recursive: true })
    await takeLock(store.dir)
    try {
      // the store's directories must survive a power loss as well as what is acknowledged in them
      await syncDir(dirname(store.dir))
      await syncDir(store.dir)
      await store.#load()
    } catch (err) {
      await store.#current?.handle.close()
      await releaseLock(store.dir)
      throw err
    }
    return store
  }

  /** Chunks held. */
  get size (): number { return this.#index.size }
  /** Sealed bytes held (the sum of the chunks' lengths). */
  get bytes (): number { return this.#bytes }

  stats (): ChunkStoreStats {
    let packBytes = 0
    let live = 0
    for (const p of this.#packs.values()) {
      packBytes += p.size
      live += p.live
    }
    return {
      chunks: this.#index.size,
      bytes: this.#bytes,
      packs: this.#packs.size,
      packBytes,
      deadBytes: packBytes - live,
      commits: this.#commits,
      cutBytes: this.#cutBytes,
      damaged: [...this.#damaged]
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
    return await new Promise((resolve, reject) => { this.#enqueue({ type: 'put', chunks, bytes, resolve, reject }) })
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
      if (this.#index.has(id)) page.push(id)
    }
    return page
  }

  /** Forgets the chunks (tombstones, one fsync) and says how many of them were held. */
  async remove (ids: readonly string[]): Promise<number> {
    this.#checkOpen()
    checkIds(ids)
    if (ids.length === 0) return 0
    return await new Promise((resolve, reject) => {
      this.#enqueue({ type: 'remove', ids, bytes: ids.length * RECORD_HEADER_BYTES, resolve, reject })
    })
  }

  /**
   * Rewrites each pack whose dead bytes are more than half of it: its live records are checked,
   * appended to the current pack and made durable, and only then is the old pack deleted. A crash
   * at any point leaves at most two identical copies of a chunk, never none. Packs are rewritten
   * one at a time, between other writes, in ascending order. A damaged pack is left alone.
   */
  async compact (): Promise<{ packsRewritten: number, bytesFreed: number }> {
    this.#checkOpen()
    const candidates = [...this.#packs.values()].filter((p) => this.#worthCompacting(p)).map((p) => p.n).sort((a, b) => a - b)
    let packsRewritten = 0
    let bytesFreed = 0
    for (const pack of candidates) {
      // close() lets the step in flight finish and stops the rest
      if (this.#closed) break
      const freed = await new Promise<number | undefined>((resolve, reject) => {
        this.#enqueue({ type: 'compact', pack, bytes: 0, resolve, reject })
      })
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
    while (this.#pumping !== undefined) await this.#pumping
    await this.#current.handle.close()
    await releaseLock(this.dir)
  }

  #checkOpen (): void {
    if (this.#closed) throw new ChunkStoreClosedError(`the chunk store in ${this.dir} is closed`)
  }

  #worthCompacting (p: Pack): boolean {
    if (p.damaged) return false
    // an empty pack is a leftover of a crash right after a new pack was made
    if (p.size === 0) return p !== this.#current.pack
    return (p.size - p.live) * 2 > p.size
  }

  // ---- reading ----

  async #read (id: string): Promise<Buffer | undefined> {
    // a compaction may move the record and delete its pack between the lookup and the open: then
    // the index names the new place, and the read is tried there
    for (let attempt = 0; ; attempt++) {
      const entry = this.#index.get(id)
      if (entry === undefined) return undefined
      const path = this.#packPath(entry.pack)
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
        const { bytesRead } = await handle.read(body, 0, entry.length, entry.offset + RECORD_HEADER_BYTES)
        if (bytesRead !== entry.length) throw new ChunkDamagedError(id, path, `the pack ends ${entry.length - bytesRead} bytes before the chunk does`)
      } finally {
        await handle.close()
      }
      if (sha256(body).toString('hex') !== entry.digest) throw new ChunkDamagedError(id, path, 'its bytes do not match their SHA-256 (bit rot or an outside write)')
      return body
    }
  }

  #sortedIds (): string[] {
    if (this.#added.length > 0 || this.#removedSinceSort * 2 > this.#sorted.length) {
      const added = this.#added.filter((id) => this.#index.has(id)).sort()
      const old = this.#sorted
      const merged: string[] = []
      let i = 0
      let j = 0
      while (i < old.length || j < added.length) {
        const next = j >= added.length || (i < old.length && (old[i] as string) <= (added[j] as string)) ? old[i++] as string : added[j++] as string
        // an id removed and put again is in both, or twice in `added`
        if (this.#index.has(next) && merged.at(-1) !== next) merged.push(next)
      }
      this.#sorted = merged
      this.#added = []
      this.#removedSinceSort = 0
    }
    return this.#sorted
  }

  // ---- opening ----

  async #load (): Promise<void> {
    const numbers = (await readdir(this.#packsDir)).flatMap((name) => {
      const m = PACK_NAME.exec(name)
      return m === null ? [] : [Number(m[1])]
    }).sort((a, b) => a - b)
    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i] as number
      const last = i === numbers.length - 1
      const handle = await open(this.#packPath(n), last ? 'r+' : 'r')
      try {
        const size = (await handle.stat()).size
        const pack: Pack = { n, size, live: 0, damaged: false }
        this.#packs.set(n, pack)
        const scan = await scanPack(handle, size, last)
        for (const r of scan.records) this.#apply(r, n, r.offset)
        if (scan.end < size) {
          if (last) {
            // after a crash the records past the last fsync are unknown: whatever does not check
            // out there, and everything after it, was never acknowledged
            await handle.truncate(scan.end)
            await handle.datasync()
            this.#cutBytes = size - scan.end
            pack.size = scan.end
          } else {
            pack.damaged = true
            this.#damaged.push({ pack: this.#packPath(n), offset: scan.end, why: scan.why })
          }
        }
        if (last) this.#current = { pack, handle }
      } finally {
        if (this.#current?.handle !== handle) await handle.close()
      }
    }
    if (numbers.length === 0) await this.#newPack(1)
  }

  /** Applies one record, in pack order, to the index: the later record of an id wins. */
  #apply (r: Header, pack: number, offset: number): void {
    const prev = this.#index.get(r.id)
    const tomb = this.#tombstones.get(r.id)
    const puts = prev?.puts ?? tomb?.puts ?? 0
    if (prev !== undefined) {
      (this.#packs.get(prev.pack) as Pack).live -= RECORD_HEADER_BYTES + prev.length
      this.#bytes -= prev.length
      this.#index.delete(r.id)
    }
    if (tomb !== undefined) {
      (this.#packs.get(tomb.pack) as Pack).live -= RECORD_HEADER_BYTES
      this.#tombstones.delete(r.id)
    }
    const into = this.#packs.get(pack) as Pack
    if (r.kind === PACK_RECORD_PUT) {
      this.#index.set(r.id, { pack, offset, length: r.length, digest: r.digest, puts: puts + 1 })
      into.live += RECORD_HEADER_BYTES + r.length
      this.#bytes += r.length
      if (prev === undefined) this.#added.push(r.id)
    } else {
      if (prev !== undefined) this.#removedSinceSort++
      if (puts > 0) {
        this.#tombstones.set(r.id, { pack, offset, puts })
        into.live += RECORD_HEADER_BYTES
      }
    }
  }

  // ---- writing ----

  #enqueue (op: Op): void {
    this.#queue.push(op)
    if (this.#pumping === undefined) this.#pumping = this.#pump()
  }

  /** Runs the queue: consecutive puts and removes go together in one write (up to
   * MAX_STORE_BATCH_BYTES, at least one op); a compaction step runs alone. */
  async #pump (): Promise<void> {
    // callers in the same tick join the first write
    await undefined
    while (this.#queue.length > 0) {
      const first = this.#queue[0] as Op
      if (first.type === 'compact') {
        this.#queue.shift()
        try {
          first.resolve(await this.#compactPack(first.pack))
        } catch (err) {
          first.reject(err)
        }
        continue
      }
      let bytes = first.bytes
      let count = 1
      while (count < this.#queue.length) {
        const next = this.#queue[count] as Op
        if (next.type === 'compact' || bytes + next.bytes > MAX_STORE_BATCH_BYTES) break
        bytes += next.bytes
        count++
      }
      const group = this.#queue.splice(0, count) as Array<Exclude<Op, { type: 'compact' }>>
      await this.#commit(group)
    }
    // synchronous with the last check of the queue: an op enqueued after it starts a new pump
    this.#pumping = undefined
  }

  /** One write and one fsync for a group of puts and removes, in arrival order; then the index. */
  async #commit (group: ReadonlyArray<Exclude<Op, { type: 'compact' }>>): Promise<void> {
    // what the group changes, for the ops later in it (two puts of one id store it once)
    const pending = new Map<string, boolean>()
    const held = (id: string): boolean => pending.get(id) ?? this.#index.has(id)
    const appends: Append[] = []
    const results: number[] = []
    for (const op of group) {
      if (op.type === 'put') {
        let had = 0
        for (const c of op.chunks) {
          if (held(c.id)) {
            had++
            continue
          }
          pending.set(c.id, true)
          appends.push({ kind: PACK_RECORD_PUT, id: c.id, digest: c.digest, body: c.sealed })
        }
        results.push(had)
      } else {
        let count = 0
        for (const id of op.ids) {
          if (!held(id)) continue
          count++
          pending.set(id, false)
          appends.push({ kind: PACK_RECORD_REMOVE, id, digest: ZERO_DIGEST, body: undefined })
        }
        results.push(count)
      }
    }
    try {
      if (appends.length > 0) {
        const { pack, offsets } = await this.#append(appends)
        for (let i = 0; i < appends.length; i++) {
          const a = appends[i] as Append
          this.#apply({ kind: a.kind, id: a.id, digest: a.digest, length: a.body?.byteLength ?? 0 }, pack, offsets[i] as number)
        }
      }
    } catch (err) {
      for (const op of group) op.reject(err)
      return
    }
    group.forEach((op, i) => {
      const n = results[i] as number
      if (op.type === 'put') op.resolve({ stored: op.chunks.length - n, had: n })
      else op.resolve(n)
    })
  }

  /**
   * Appends records to the current pack (a new one first when it has reached the target) in one
   * write, then fsyncs. A failed write is cut off again so the next one starts at a record; when
   * that fails too, or the fsync fails (the page cache may then hold what the disk does not), the
   * store refuses further writes (ChunkStoreBrokenError) until it is reopened, whose scan sorts
   * out the tail.
   */
  async #append (appends: readonly Append[]): Promise<{ pack: number, offsets: number[] }> {
    if (this.#broken !== undefined) throw new ChunkStoreBrokenError(this.dir, this.#broken)
    if (this.#current.pack.size >= this.#packTarget) await this.#newPack(this.#current.pack.n + 1)
    const { pack, handle } = this.#current
    const headers = Buffer.allocUnsafe(appends.length * RECORD_HEADER_BYTES)
    const buffers: Uint8Array[] = []
    const offsets: number[] = []
    let at = pack.size
    appends.forEach((a, i) => {
      const length = a.body?.byteLength ?? 0
      const header = headers.subarray(i * RECORD_HEADER_BYTES, (i + 1) * RECORD_HEADER_BYTES)
      writeHeader(header, a.kind, a.id, a.digest, length)
      buffers.push(header)
      if (a.body !== undefined && length > 0) buffers.push(a.body)
      offsets.push(at)
      at += RECORD_HEADER_BYTES + length
    })
    const total = at - pack.size
    try {
      const { bytesWritten } = await handle.writev(buffers, pack.size)
      if (bytesWritten !== total) throw Object.assign(new Error(`wrote ${bytesWritten} of ${total} bytes`), { code: 'ENOSPC' })
    } catch (err) {
      try {
        await handle.truncate(pack.size)
      } catch (cause) {
        this.#broken = cause as Error
        throw new ChunkStoreBrokenError(this.dir, cause)
      }
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new ChunkStoreFullError(this.dir, total, err)
      throw err
    }
    try {
      await handle.datasync()
    } catch (err) {
      this.#broken = err as Error
      throw new ChunkStoreBrokenError(this.dir, err)
    }
    pack.size = at
    this.#commits++
    return { pack: pack.n, offsets }
  }

  async #newPack (n: number): Promise<void> {
    const handle = await open(this.#packPath(n), 'wx+')
    try {
      // a chunk acknowledged in a pack whose directory entry a power loss takes is lost
      await syncDir(this.#packsDir)
    } catch (err) {
      await handle.close()
      throw err
    }
    const old = this.#current?.handle
    const pack: Pack = { n, size: 0, live: 0, damaged: false }
    this.#packs.set(n, pack)
    this.#current = { pack, handle }
    await old?.close()
  }

  /**
   * Rewrites one pack: reads its records, checks the live ones' bytes, appends them (and the
   * tombstones still needed) to the current pack, fsyncs, then deletes the old pack and fsyncs the
   * directory. Returns the bytes freed, or undefined when the pack no longer qualifies or is found
   * damaged (then nothing of it is deleted, and it is reported).
   */
  async #compactPack (n: number): Promise<number | undefined> {
    const pack = this.#packs.get(n)
    if (pack === undefined || !this.#worthCompacting(pack)) return undefined
    if (this.#broken !== undefined) throw new ChunkStoreBrokenError(this.dir, this.#broken)
    // copies go after every record there is, so they win on the next open's scan
    if (pack === this.#current.pack) await this.#newPack(n + 1)
    const path = this.#packPath(n)
    const handle = await open(path, 'r')
    const keep: Array<{ record: ScannedRecord, body: Buffer | undefined }> = []
    const putsHere = new Map<string, number>()
    const moved = new Set<string>()
    const droppedTombstones: string[] = []
    try {
      const scan = await scanPack(handle, pack.size, false)
      if (scan.end < pack.size) return this.#markDamaged(pack, scan.end, scan.why)
      for (const r of scan.records) {
        if (r.kind === PACK_RECORD_PUT) putsHere.set(r.id, (putsHere.get(r.id) ?? 0) + 1)
      }
      for (const r of scan.records) {
        if (r.kind === PACK_RECORD_PUT) {
          const entry = this.#index.get(r.id)
          if (entry?.pack !== n || entry.offset !== r.offset) continue
          const body = Buffer.allocUnsafe(r.length)
          const { bytesRead } = await handle.read(body, 0, r.length, r.offset + RECORD_HEADER_BYTES)
          if (bytesRead !== r.length || sha256(body).toString('hex') !== r.digest) {
            return this.#markDamaged(pack, r.offset, `chunk ${r.id} does not match its SHA-256`)
          }
          keep.push({ record: r, body })
          moved.add(r.id)
        } else {
          const tomb = this.#tombstones.get(r.id)
          if (tomb?.pack !== n || tomb.offset !== r.offset) continue
          // needed only while a put of the id survives in another pack
          if (tomb.puts - (putsHere.get(r.id) ?? 0) > 0) keep.push({ record: r, body: undefined })
          else droppedTombstones.push(r.id)
        }
      }
    } finally {
      await handle.close()
    }
    let written = 0
    if (keep.length > 0) {
      const { pack: into, offsets } = await this.#append(keep.map(({ record, body }) => ({ kind: record.kind, id: record.id, digest: record.digest, body })))
      const target = this.#packs.get(into) as Pack
      keep.forEach(({ record }, i) => {
        const size = RECORD_HEADER_BYTES + record.length
        written += size
        pack.live -= size
        target.live += size
        const offset = offsets[i] as number
        if (record.kind === PACK_RECORD_PUT) {
          const entry = this.#index.get(record.id) as Entry
          this.#index.set(record.id, { ...entry, pack: into, offset })
        } else {
          const tomb = this.#tombstones.get(record.id) as Tombstone
          this.#tombstones.set(record.id, { ...tomb, pack: into, offset })
        }
      })
    }
    await unlink(path)
    await syncDir(this.#packsDir)
    this.#packs.delete(n)
    for (const id of droppedTombstones) this.#tombstones.delete(id)
    // the put records of this pack are gone (a live chunk's was written again above): tombstones
    // elsewhere that only guarded them are not needed any more
    for (const [id, count] of putsHere) {
      const entry = this.#index.get(id)
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
        if (at !== undefined) at.live -= RECORD_HEADER_BYTES
      }
    }
    return pack.size - written
  }

  #markDamaged (pack: Pack, offset: number, why: string): undefined {
    pack.damaged = true
    this.#damaged.push({ pack: this.#packPath(pack.n), offset, why })
    return undefined
  }

  #packPath (n: number): string {
    return join(this.#packsDir, `${String(n).padStart(8, '0')}.pack`)
  }
}

/**
 * Reads a pack's record headers from the start (seeking over bodies; reading and checking each
 * body only when `verify`), up to the first record that does not check out: `end` is where it
 * starts (`size` when every record does), `why` what was wrong.
 */
async function scanPack (handle: FileHandle, size: number, verify: boolean): Promise<{ records: ScannedRecord[], end: number, why: string }> {
  const records: ScannedRecord[] = []
  // headers are read a page at a time: one read serves every small record in it
  const window = Buffer.allocUnsafe(PACK_SCAN_READ_BYTES)
  let windowAt = 0
  let windowLength = 0
  let offset = 0
  while (offset < size) {
    if (size - offset < RECORD_HEADER_BYTES) return { records, end: offset, why: `${size - offset} bytes at the end, less than a record header` }
    if (offset < windowAt || offset + RECORD_HEADER_BYTES > windowAt + windowLength) {
      windowAt = offset
      windowLength = (await handle.read(window, 0, Math.min(window.byteLength, size - offset), offset)).bytesRead
      if (windowLength < RECORD_HEADER_BYTES) return { records, end: offset, why: 'the pack ended while it was read' }
    }
    const header = readHeader(window, offset - windowAt)
    if (typeof header === 'string') return { records, end: offset, why: header }
    if (offset + RECORD_HEADER_BYTES + header.length > size) return { records, end: offset, why: `a record of ${header.length} bytes runs past the end of the pack` }
    if (verify && header.kind === PACK_RECORD_PUT) {
      const body = Buffer.allocUnsafe(header.length)
      const { bytesRead } = await handle.read(body, 0, header.length, offset + RECORD_HEADER_BYTES)
      if (bytesRead !== header.length || sha256(body).toString('hex') !== header.digest) {
        return { records, end: offset, why: `chunk ${header.id} does not match its SHA-256` }
      }
    }
    records.push({ ...header, offset })
    offset += RECORD_HEADER_BYTES + header.length
  }
  return { records, end: size, why: '' }
}

function writeHeader (out: Buffer, kind: number, id: string, digest: string, length: number): void {
  MAGIC.copy(out, 0)
  out[KIND_AT] = kind
  out.write(id, ID_AT, 32, 'hex')
  out.write(digest, DIGEST_AT, 32, 'hex')
  out.writeUInt32BE(length, LENGTH_AT)
  sha256(out.subarray(0, CHECKSUM_AT)).copy(out, CHECKSUM_AT, 0, 4)
}

/** The header at `at`, or why it is not one. */
function readHeader (buf: Buffer, at: number): Header | string {
  if (!buf.subarray(at, at + MAGIC.byteLength).equals(MAGIC)) return 'no record starts here (wrong magic)'
  const checksum = sha256(buf.subarray(at, at + CHECKSUM_AT))
  if (!checksum.subarray(0, 4).equals(buf.subarray(at + CHECKSUM_AT, at + RECORD_HEADER_BYTES))) return 'a record header that does not match its checksum'
  const kind = buf[at + KIND_AT]
  const id = buf.toString('hex', at + ID_AT, at + DIGEST_AT)
  const digest = buf.toString('hex', at + DIGEST_AT, at + LENGTH_AT)
  const length = buf.readUInt32BE(at + LENGTH_AT)
  if (kind === PACK_RECORD_PUT) {
    if (length < CHUNK_OVERHEAD_BYTES || length > MAX_SEALED_BYTES) return `a chunk of ${length} bytes, which no put stores`
    return { kind, id, digest, length }
  }
  if (kind === PACK_RECORD_REMOVE) {
    if (length !== 0 || digest !== ZERO_DIGEST) return 'a remove record with a body or a digest'
    return { kind, id, digest, length }
  }
  return `a record of unknown kind ${kind}`
}

function sha256 (bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest()
}

function checkIds (ids: unknown): asserts ids is readonly string[] {
  if (!Array.isArray(ids) || ids.length > MAX_STORE_IDS) throw new InvalidBackupInputError(`expected an array of at most ${MAX_STORE_IDS} chunk ids, got ${valueShape(ids)}`)
  for (let i = 0; i < ids.length; i++) {
    if (!isChunkId(ids[i])) throw new InvalidBackupInputError(`ids[${i}] is a chunk id (64 lowercase hex characters), got ${valueShape(ids[i])}`)
  }
}

/** fsync of a directory, so the entries made or removed in it survive a power loss (Windows cannot
 * open a directory for it, and its file system journals entries itself). */
async function syncDir (path: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Takes `dir/lock`. Node has no advisory lock (flock), so the lock is a file made atomically
 * (written aside, then hard-linked into place: it never exists half-written) holding the pid and
 * start time of its process. A lock of a process that is gone (killed, crashed: its pid is not
 * alive, or is this process but with another start time) is stale and taken over. A live pid that
 * a stale lock's pid was reused by keeps the store locked until the lock file is removed by hand
 * (the error says so). Two processes taking over the same stale lock at the same instant could
 * both succeed; one node per directory never does that.
 */
async function takeLock (dir: string): Promise<void> {
  const path = join(dir, LOCK_FILE)
  const mine = `${process.pid} ${performance.timeOrigin}\n`
  const aside = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`)
  const file = await open(aside, 'wx', 0o644)
  try {
    await file.writeFile(mine)
  } finally {
    await file.close()
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(aside, path)
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw err
      }
      let text: string
      try {
        text = await readFile(path, 'latin1')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw err
      }
      const m = LOCK_LINE.exec(text)
      if (m === null) throw new ChunkStoreLockedError(dir, undefined, `its lock file ${path} is not one this version writes`)
      const pid = Number(m[1])
      const stale = pid === process.pid ? m[2] !== String(performance.timeOrigin) : !alive(pid)
      if (!stale) throw new ChunkStoreLockedError(dir, pid, pid === process.pid ? 'this process has it open already' : `process ${pid} has it open`)
      await unlink(path).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
    }
  } finally {
    await unlink(aside)
  }
}

async function releaseLock (dir: string): Promise<void> {
  await unlink(join(dir, LOCK_FILE)).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it lives, under another user
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
