import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'

/**
 * SHA-256 of model files, remembered while a file's size and mtime stay the same: a pull run
 * again, and each copy offered, hashes a model of several GB once, not each time.
 */
export class FileDigests {
  readonly #known = new Map<string, { size: number, mtimeMs: number, sha256: string }>()

  /** The file's SHA-256 (hex), or undefined where there is no such file. */
  async of (file: string): Promise<string | undefined> {
    const info = await stat(file).catch(() => undefined)
    if (info === undefined || !info.isFile()) return undefined
    const known = this.#known.get(file)
    if (known !== undefined && known.size === info.size && known.mtimeMs === info.mtimeMs) return known.sha256
    const hash = createHash('sha256')
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
    const sha256 = hash.digest('hex')
    this.#known.set(file, { size: info.size, mtimeMs: info.mtimeMs, sha256 })
    return sha256
  }

  /** What is known of a file the caller has just written and hashed (a rename keeps the mtime). */
  async remember (file: string, sha256: string): Promise<void> {
    const info = await stat(file)
    this.#known.set(file, { size: info.size, mtimeMs: info.mtimeMs, sha256 })
  }
}
