import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { PACK_RECORD_HEADER_BYTES } from './constants.ts'
import { ChunkStoreBrokenError, ChunkStoreFullError } from './errors.ts'
import type { Pack, PackIndex } from './pack-index.ts'
import { writeRecordHeader } from './pack-record.ts'
import type { RecordToAppend } from './pack-record.ts'
import { syncDir } from './sync-dir.ts'

/**
 * Appends records to a chunk store's current pack file (`packs/<n>.pack`), each batch in one write
 * and one fsync, and starts a new pack once the current one has reached its target size. A write
 * that fails is cut off again so the next one starts at a record; when that fails too, or an fsync
 * fails (the page cache may then hold what the disk does not), the writer refuses further writes
 * (ChunkStoreBrokenError) until the store is reopened, whose scan sorts out the tail.
 */
export class PackWriter {
  /** The store's directory (named in errors). */
  readonly dir: string
  readonly packsDir: string
  readonly #packTarget: number
  readonly #index: PackIndex
  #current: { pack: Pack, handle: FileHandle } | undefined
  #broken: Error | undefined
  #commits = 0

  constructor (dir: string, packTarget: number, index: PackIndex) {
    this.dir = dir
    this.packsDir = join(dir, 'packs')
    this.#packTarget = packTarget
    this.#index = index
  }

  /** The pack appended to. */
  get current (): Pack {
    if (this.#current === undefined) throw new Error('no current pack: the store was not loaded')
    return this.#current.pack
  }

  /** Writes made (each one write and one fsync). */
  get commits (): number { return this.#commits }

  /** Where pack `n` is. */
  path (n: number): string {
    return join(this.packsDir, `${String(n).padStart(8, '0')}.pack`)
  }

  /** Appends to `pack` (opened for writing) from now on (the last pack found on open). */
  resume (pack: Pack, handle: FileHandle): void {
    this.#current = { pack, handle }
  }

  /** The handle of the current pack, when it is `handle` (an open's scan keeps it open). */
  holds (handle: FileHandle): boolean {
    return this.#current?.handle === handle
  }

  /** ChunkStoreBrokenError once a failed write or fsync left the pack's tail unknown. */
  checkWritable (): void {
    if (this.#broken !== undefined) throw new ChunkStoreBrokenError(this.dir, this.#broken)
  }

  /** Appends records in one write, then fsyncs; resolves with the pack and each record's offset. */
  async append (appends: readonly RecordToAppend[]): Promise<{ pack: number, offsets: number[] }> {
    this.checkWritable()
    if (this.current.size >= this.#packTarget) await this.newPack(this.current.n + 1)
    const { pack, handle } = this.#current as { pack: Pack, handle: FileHandle }
    const headers = Buffer.allocUnsafe(appends.length * PACK_RECORD_HEADER_BYTES)
    const buffers: Uint8Array[] = []
    const offsets: number[] = []
    let at = pack.size
    appends.forEach((a, i) => {
      const length = a.body?.byteLength ?? 0
      const header = headers.subarray(i * PACK_RECORD_HEADER_BYTES, (i + 1) * PACK_RECORD_HEADER_BYTES)
      writeRecordHeader(header, a.kind, a.id, a.digest, length)
      buffers.push(header)
      if (a.body !== undefined && length > 0) buffers.push(a.body)
      offsets.push(at)
      at += PACK_RECORD_HEADER_BYTES + length
    })
    await this.#write(handle, pack, buffers, at - pack.size)
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

  /** One write at the pack's end; a failed one is cut off again (or the writer is broken). */
  async #write (handle: FileHandle, pack: Pack, buffers: Uint8Array[], total: number): Promise<void> {
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
  }

  /** Makes pack `n` (durably: its directory entry is fsynced) and appends to it from now on. */
  async newPack (n: number): Promise<void> {
    const handle = await open(this.path(n), 'wx+')
    try {
      // a chunk acknowledged in a pack whose directory entry a power loss takes is lost
      await syncDir(this.packsDir)
    } catch (err) {
      await handle.close()
      throw err
    }
    const old = this.#current?.handle
    const pack: Pack = { n, size: 0, live: 0, damaged: false }
    this.#index.addPack(pack)
    this.#current = { pack, handle }
    await old?.close()
  }

  /** Closes the current pack's file. */
  async close (): Promise<void> {
    await this.#current?.handle.close()
  }
}
