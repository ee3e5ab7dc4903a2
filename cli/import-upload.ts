import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { once } from 'node:events'
import type * as grpc from '@grpc/grpc-js'
import { CliError } from './cli-errors.ts'
import { printJson } from './cli-io.ts'
import type { CliIo } from './cli-io.ts'
import type { ImportReport } from '../protocols/index.ts'

/** Sends a file as import chunks on a client-streaming call: the first chunk carries `first` (the
 * target, the dry run), every chunk the next piece of the file. */
export async function uploadImport (file: string, stream: grpc.ClientWritableStream<unknown>, first: Record<string, unknown>): Promise<void> {
  try {
    await stat(file)
  } catch (err) {
    stream.end()
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let head = true
  for await (const data of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const more = stream.write(head ? { ...first, data } : { data })
    head = false
    if (!more) await once(stream, 'drain')
  }
  // an empty file still names its target (the node answers that it holds no export)
  if (head) stream.write(first)
  stream.end()
}

/** An import's report as a line (or JSON with --json). */
export function printImportReport (io: CliIo, r: ImportReport, json: boolean): void {
  if (json) {
    printJson(io, r)
    return
  }
  const range = r.added > 0 ? ` (source seqs ${r.firstSeq ?? 0} to ${r.lastSeq ?? 0})` : ''
  const verb = r.dryRun ? 'would add' : 'added'
  io.stdout.write(`${r.dryRun ? 'dry run: ' : ''}${r.kind} ${r.name} ${verb} ${r.added} of ${r.records} records${range}; ${r.skipped} already imported, ${r.notImportable} add nothing (joins, leaves, redactions)\n`)
}
