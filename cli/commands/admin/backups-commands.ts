import type { Command } from 'commander'
import { UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import type { CliIo } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import type { AdminContext } from './admin-context.ts'
import { mib } from './mib.ts'

/** A backup as the catalog lists it (GET /api/v1/backups). */
interface BackupRow {
  id: string
  state: string
  note: string
  keyFingerprint: string
  node: string
  startedAt: number
  endedAt: number | null
  error: string | null
  root: string | null
  manifest: { digest: string, bytes: number, holders: string[] } | null
  stats: { partitions: number, entities: number, records: number, bytes: number, chunks: number, newChunks: number, newBytes: number } | null
  checkpoint: { digest: string, bytes: number, holders: string[] } | null
  resumed: number
}

/** `plexi admin backup create|ls|show|rm|verify|sweep`: the cluster's encrypted backups (/api/v1/backups). */
export function backupsCommands (admin: Command, cx: AdminContext): void {
  const backup = admin.command('backup').description('the cluster\'s encrypted backups (the key: the node\'s --backup-key-file)')
  withClientOptions(backup.command('create'), 'admin')
    .description('back up every partition: chunked, each chunk sealed under its own key derived from the master key, stored on backup-role members; shows the job\'s progress (exit 0 done, 1 failed). Needs a node started with --backup-key-file')
    .option('--note <text>', 'a note shown by backup ls (at most 1000 characters)')
    .option('--no-wait', 'start the backup job and return its id')
    .action(withFlags(async (flags: ClientFlags & { note?: string, wait?: boolean }) => {
      if (flags.note !== undefined && flags.note.length > 1000) throw new UsageError(`--note: at most 1000 characters, got ${flags.note.length}`)
      await cx.startJob(flags, '/api/v1/backups', flags.note === undefined ? {} : { note: flags.note })
    }))
  withClientOptions(backup.command('ls', { isDefault: true }), 'admin')
    .description('every backup, oldest first: id, state, when, size, what was new, the key that made it')
    .action(withFlags(async (flags: ClientFlags) => {
      const { api } = await cx.client(flags)
      const list = await api.request<BackupRow[]>('GET', '/api/v1/backups')
      if (flags.json === true) {
        printJson(cx.io, list)
        return
      }
      if (list.length === 0) {
        cx.io.stdout.write('no backups yet: plexi admin backup create\n')
        return
      }
      printTable(cx.io, ['ID', 'STATE', 'STARTED', 'ENTITIES', 'SIZE', 'NEW', 'KEY', 'NOTE'], list.map((b) => [
        b.id, b.state, new Date(b.startedAt).toISOString().replace(/\.\d+Z$/, 'Z'), String(b.stats?.entities ?? '-'),
        b.stats === null ? '-' : mib(b.stats.bytes), b.stats === null ? '-' : mib(b.stats.newBytes), b.keyFingerprint, b.note.slice(0, 40)
      ]))
    }))
  withClientOptions(backup.command('show <id>'), 'admin')
    .description('one backup as the catalog lists it: its Merkle root, where its manifest is, what it took')
    .action(withFlags(async (id: string, flags: ClientFlags) => {
      const { api } = await cx.client(flags)
      const b = await api.request<BackupRow>('GET', `/api/v1/backups/${encodeURIComponent(id)}`)
      if (flags.json === true) printJson(cx.io, b)
      else printBackup(cx.io, b)
    }))
  withClientOptions(backup.command('rm <id>'), 'admin')
    .description('remove a backup: the chunks no other backup of its key names are removed from every holder, then its manifest and its catalog entry (refused while a backup runs)')
    .action(withFlags(async (id: string, flags: ClientFlags) => {
      const { api } = await cx.client(flags)
      const removed = await api.request<{ id: string, chunks: number, bytes: number }>('DELETE', `/api/v1/backups/${encodeURIComponent(id)}`)
      if (flags.json === true) printJson(cx.io, removed)
      else cx.io.stdout.write(`removed ${removed.id}: ${removed.chunks} chunks (${mib(removed.bytes)}) no other backup names\n`)
    }))
  withClientOptions(backup.command('verify <id>'), 'admin')
    .description('check a backup: every chunk on every holder that should keep it against the manifest\'s digests and Merkle root; a missing or damaged copy is named and put back from a whole one (exit 1 only when one cannot be mended); without --full each holder re-reads and hashes its own copies')
    .option('--full', 'take no holder\'s word: read one copy of each chunk here and hash it, and challenge every other holder with a fresh nonce')
    .option('--no-wait', 'start the verify job and return its id')
    .action(withFlags(async (id: string, flags: ClientFlags & { full?: boolean, wait?: boolean }) => {
      await cx.startJob(flags, `/api/v1/backups/${encodeURIComponent(id)}/verify`, { full: flags.full === true })
    }))
  withClientOptions(backup.command('sweep'), 'admin')
    .description('remove orphan chunks: what the backup holders keep that no backup names (the chunks of a failed backup, for one); refused while a backup runs or while backups of another key exist (done, or resumable)')
    .option('--dry-run', 'count them, remove nothing')
    .option('--no-wait', 'start the sweep job and return its id')
    .action(withFlags(async (flags: ClientFlags & { dryRun?: boolean, wait?: boolean }) => {
      await cx.startJob(flags, '/api/v1/backups/sweep', { dryRun: flags.dryRun === true })
    }))
}

/** `backup show`: one backup, a line per fact. */
function printBackup (io: CliIo, b: BackupRow): void {
  io.stdout.write(`${b.id}: ${b.state}${b.error === null ? '' : ` (${b.error})`}, made by ${b.node} with key ${b.keyFingerprint}\n`)
  io.stdout.write(`started ${new Date(b.startedAt).toISOString()}${b.endedAt === null ? '' : `, ended ${new Date(b.endedAt).toISOString()}`}${b.note === '' ? '' : `; note: ${b.note}`}\n`)
  if (b.resumed > 0) io.stdout.write(`resumed ${b.resumed} time${b.resumed === 1 ? '' : 's'} after the node making it stopped\n`)
  if (b.checkpoint !== null) io.stdout.write(`checkpoint ${b.checkpoint.digest} on ${b.checkpoint.holders.join(', ')} (a node resuming it starts there)\n`)
  if (b.stats !== null) io.stdout.write(`${b.stats.entities} entities (${b.stats.records} records) in ${b.stats.partitions} partitions: ${mib(b.stats.bytes)} in ${b.stats.chunks} chunks, ${b.stats.newChunks} of them new (${mib(b.stats.newBytes)})\n`)
  if (b.root !== null) io.stdout.write(`root ${b.root}; manifest ${b.manifest?.digest ?? '-'} on ${b.manifest?.holders.join(', ') ?? '-'}\n`)
}
