import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { CliError } from './cli-errors.ts'
import { isTerminal } from './cli-io.ts'
import type { CliIo } from './cli-io.ts'
import { ProgressBar } from './progress-bar.ts'

/** One piece of an export as it arrives: its text, and (from the node) how far it has got. */
export interface ExportPiece {
  readonly data: Uint8Array
  /** The records the export holds at most (0: not said in this piece). */
  readonly records?: number
  /** Records read so far (0: not said). */
  readonly done?: number
}

/**
 * Writes an export as it streams to `out` (a file) or stdout, and shows its progress on stderr
 * (a bar on a terminal; a last line `exported N records (M MiB) to FILE` either way). A file is
 * written only as the export arrives: a failure leaves it partial, and says so.
 */
export async function downloadExport (io: CliIo, pieces: AsyncIterable<ExportPiece>, out: string | undefined, label: string): Promise<{ readonly bytes: number, readonly records: number }> {
  const sink: Writable = out === undefined ? io.stdout : createWriteStream(out)
  const bar = out !== undefined && isTerminal(io.stderr) ? new ProgressBar(io, label) : undefined
  let bytes = 0
  let total = 0
  let done = 0
  try {
    for await (const piece of pieces) {
      if ((piece.records ?? 0) > 0) total = piece.records ?? 0
      if ((piece.done ?? 0) > 0) done = piece.done ?? 0
      bytes += piece.data.byteLength
      if (!sink.write(piece.data)) await once(sink, 'drain')
      bar?.update(done, total, `${done}/${total} records`, `${(bytes / 1048576).toFixed(1)} MiB`)
    }
  } catch (err) {
    bar?.stop()
    if (out !== undefined) throw new CliError(`${(err as Error).message}\nthe export stopped part-way: ${out} holds only its first ${bytes} bytes`)
    throw err
  } finally {
    if (out !== undefined) {
      sink.end()
      await once(sink, 'close').catch(() => undefined)
    }
  }
  bar?.stop()
  if (out !== undefined) io.stderr.write(`exported ${done} records (${(bytes / 1048576).toFixed(1)} MiB) to ${out}\n`)
  return { bytes, records: done }
}
