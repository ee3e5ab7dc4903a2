import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { open, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { errorData } from '../../protocols/index.ts'
import type { ErrorKind } from '../../protocols/index.ts'
import type { ServiceLog } from './periodic-service.ts'

interface Incoming<M> {
  readonly meta: M
  readonly file: string
  readonly size: number
  readonly handle: FileHandle
  readonly hash: Hash
  received: number
  lastAt: number
}

export interface IncomingFilesOptions {
  /** What one is called in errors and logs ('transfer', 'copy'). */
  readonly what: string
  /** The error a refused chunk or finish throws (the receiver's own class and kind). */
  readonly error: (message: string, kind: ErrorKind) => Error
  readonly log: ServiceLog
}

/**
 * Files another node sends in chunks, each written where the last ended and hashed as it arrives:
 * the shared receiving half of a KV cache transfer and of a model copy. A chunk out of order is
 * refused; one past the size offered drops the file; `finish` checks every byte arrived and gives
 * the SHA-256 for the caller to check against what was offered (and the file to keep or remove).
 */
export class IncomingFiles<M> {
  readonly #opts: IncomingFilesOptions
  readonly #files = new Map<string, Incoming<M>>()

  constructor (opts: IncomingFilesOptions) {
    this.#opts = opts
  }

  get size (): number {
    return this.#files.size
  }

  /** What each file under way was offered with. */
  metas (): M[] {
    return [...this.#files.values()].map((f) => f.meta)
  }

  /** Opens `file` (created empty) for `size` bytes; resolves with the id the chunks name. */
  async open (file: string, size: number, meta: M): Promise<string> {
    const id = randomUUID()
    const handle = await open(file, 'w')
    this.#files.set(id, { meta, file, size, handle, hash: createHash('sha256'), received: 0, lastAt: Date.now() })
    return id
  }

  async write (id: string, offset: number, bytes: Uint8Array): Promise<void> {
    const f = this.#files.get(id)
    if (f === undefined) throw this.#opts.error(`no such ${this.#opts.what} (it ended, or was idle too long)`, 'not-found')
    if (offset !== f.received) throw this.#opts.error(`expected bytes from ${f.received}, got ${offset}`, 'invalid')
    if (f.received + bytes.length > f.size) {
      await this.drop(id)
      throw this.#opts.error(`more bytes than the ${f.size} offered`, 'invalid')
    }
    f.lastAt = Date.now()
    await f.handle.write(bytes, 0, bytes.length, f.received)
    f.hash.update(bytes)
    f.received += bytes.length
  }

  /** Ends the file's transfer: rejects unless every byte offered arrived (the file is then removed);
   * resolves with its path, what it was offered with and its SHA-256. The caller keeps or removes
   * the file. */
  async finish (id: string): Promise<{ file: string, meta: M, sha256: string }> {
    const f = this.#files.get(id)
    if (f === undefined) throw this.#opts.error(`no such ${this.#opts.what} (it ended, or was idle too long)`, 'not-found')
    this.#files.delete(id)
    try {
      await f.handle.close()
      if (f.received !== f.size) throw this.#opts.error(`${f.received} of ${f.size} bytes arrived`, 'invalid')
    } catch (err) {
      await rm(f.file, { force: true })
      throw err
    }
    return { file: f.file, meta: f.meta, sha256: f.hash.digest('hex') }
  }

  /** Drops the files that received nothing for `idleMs`. */
  async dropIdle (idleMs: number): Promise<void> {
    const now = Date.now()
    for (const [id, f] of [...this.#files]) if (now - f.lastAt > idleMs) await this.drop(id)
  }

  /** Drops the files whose offer `match` accepts. */
  async dropWhere (match: (meta: M) => boolean): Promise<void> {
    for (const [id, f] of [...this.#files]) if (match(f.meta)) await this.drop(id)
  }

  async drop (id: string): Promise<void> {
    const f = this.#files.get(id)
    if (f === undefined) return
    this.#files.delete(id)
    // a handle that will not close is dropped anyway: its file is removed next, which is what counts
    await f.handle.close().catch(() => {})
    await rm(f.file, { force: true }).catch((err: unknown) => { this.#opts.log.warn({ err: errorData(err) }, `could not remove a ${this.#opts.what}'s partial file`) })
  }

  async dropAll (): Promise<void> {
    for (const id of [...this.#files.keys()]) await this.drop(id)
  }
}
