import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { MAX_IMPORT_FILE_BYTES } from '../../protocols/index.ts'
import { ImportTooLargeError } from './errors.ts'

/** An import's file, spooled to a temporary directory of its own: read twice (checked whole, then
 * imported) without holding it in memory. */
export interface ImportSpool {
  readonly path: string
  readonly bytes: number
  /** Removes the file (always call it, in a finally). */
  remove (): Promise<void>
}

/** Writes what `body` yields to a temporary file, refusing more than `maxBytes` (nothing is kept
 * then). */
export async function spoolImport (body: AsyncIterable<Uint8Array | string>, maxBytes = MAX_IMPORT_FILE_BYTES): Promise<ImportSpool> {
  const dir = await mkdtemp(join(tmpdir(), 'plexi-import-'))
  const path = join(dir, 'export')
  const remove = async (): Promise<void> => { await rm(dir, { recursive: true, force: true }) }
  let bytes = 0
  try {
    await pipeline(async function * () {
      for await (const piece of body) {
        bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength
        if (bytes > maxBytes) throw new ImportTooLargeError(`an import file may be at most ${maxBytes} bytes; this one is larger (nothing was imported)`)
        yield piece
      }
    }, createWriteStream(path))
  } catch (err) {
    await remove()
    throw err
  }
  return { path, bytes, remove }
}

/** The lines of a file, one at a time. */
export function fileLines (path: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(path, { encoding: 'utf8', highWaterMark: 1024 * 1024 }), crlfDelay: Infinity })
}
