import type { Command } from 'commander'
import { downloadExport } from '../export-download.ts'
import type { ExportPiece } from '../export-download.ts'
import { exportFormat } from '../flag-values.ts'
import { printImportReport, uploadImport } from '../import-upload.ts'
import type { ImportReport } from '../../protocols/index.ts'
import { cliError } from '../node-client.ts'
import type { NodeClient } from '../node-client.ts'
import type { CliIo } from '../cli-io.ts'
import { withClientOptions, withFlags } from '../client-options.ts'
import type { ClientFlags } from '../client-options.ts'

type TransferFlags = ClientFlags & { room?: string }

export interface TransferCommandsOptions {
  /** A room's export and import (`--room`), or the caller's own agent conversation's. */
  readonly kind: 'room' | 'agent'
  /** A client of the group's service (chat or agent). */
  readonly connect: (flags: ClientFlags) => Promise<NodeClient>
  /** The room a room command names (a UsageError when it names none, or a bad one). */
  readonly roomOf?: (flags: TransferFlags) => string
}

/**
 * `export` and `import` of `plexi chat` (a room: `--room`) and `plexi agent` (your own agent
 * conversation), over the service's Export and Import calls: an export streams to --out or stdout
 * with its progress on stderr; an import sends a file, which the node checks whole before it
 * writes anything, and prints what it added (or, --dry-run, would add).
 */
export function transferCommands (group: Command, io: CliIo, options: TransferCommandsOptions): void {
  const room = options.kind === 'room'
  const what = room ? 'a room: every post, join, leave and redaction it keeps, with seqs, client ids, authors and times' : 'your conversation with your agent: every event it keeps'
  const exporting = withClientOptions(group.command('export'), 'chat')
    .description(`export ${what} (json: lossless; ndjson: a header line, then one record a line; md: to read); with --out, progress on stderr`)
  if (room) exporting.requiredOption('--room <room>', 'the room')
  exporting
    .option('--format <format>', 'json, ndjson or md', 'json')
    .option('--out <file>', 'write it to this file (default: stdout)')
    .action(withFlags(async (flags: TransferFlags & { format: string, out?: string }) => {
      const target = room ? { room: options.roomOf?.(flags) ?? '' } : {}
      const format = exportFormat(flags.format)
      const client = await options.connect(flags)
      try {
        await downloadExport(io, client.stream('Export', { ...target, format }) as AsyncIterable<ExportPiece>, flags.out, `export ${room ? target.room ?? '' : 'agent'}`)
      } catch (err) {
        throw (err as { code?: unknown }).code !== undefined ? cliError(err as never, client.address, client.tls) : err
      } finally {
        client.close()
      }
    }))

  const importing = withClientOptions(group.command('import <file>'), 'chat')
    .description(room
      ? 'import a room\'s export (json or ndjson) into a room, as you; each post keeps its author, time and seq there. The whole file is checked first (a bad record is named, and nothing is written); posts an earlier import of the same export took are skipped, so running it twice adds nothing'
      : 'import an agent conversation\'s export (json or ndjson) into your agent: its questions and answers join your conversation. Checked whole first; what an earlier import of the same export took is skipped')
  if (room) importing.requiredOption('--room <room>', 'the room to import into')
  importing
    .option('--dry-run', 'say what would be added, and write nothing')
    .action(withFlags(async (file: string, flags: TransferFlags & { dryRun?: boolean }) => {
      const target = room ? { room: options.roomOf?.(flags) ?? '' } : {}
      const client = await options.connect(flags)
      try {
        const { stream, reply } = client.upload<ImportReport>('Import')
        // the node may refuse before the whole file is sent (a bad token): its answer ends the wait
        await Promise.race([uploadImport(file, stream, { ...target, dryRun: flags.dryRun === true }), reply])
        printImportReport(io, await reply, flags.json === true)
      } finally {
        client.close()
      }
    }))
}
