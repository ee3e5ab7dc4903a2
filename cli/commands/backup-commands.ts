import { Command } from 'commander'
import { resolve } from 'node:path'
import { UsageError } from '../cli-errors.ts'
import { printJson } from '../cli-io.ts'
import type { CliIo } from '../cli-io.ts'

/** `plexi backup`: what an operator does with the backup master key on their own machine. The
 * cluster's backups themselves are admin commands (`plexi admin backup ...`). */
export function backupCommands (io: CliIo): Command {
  const backup = new Command('backup').description('the backup master key (backups themselves: plexi admin backup)')
  backup.command('keygen')
    .description('make a new backup master key in a file of mode 0600 (give it to nodes with --backup-key-file; keep a copy offline: without it no backup can be restored)')
    .requiredOption('--out <file>', 'the key file to create (an existing file is never overwritten)')
    .option('--json', 'print JSON for scripts: { file, fingerprint }')
    .action(async (flags: { out: string, json?: boolean }) => {
      if (flags.out.trim() === '') throw new UsageError('--out: expected a file name')
      // loaded only here: the other commands need none of it
      const { BackupKeyExistsError, writeBackupKeyFile } = await import('../../node/backup/index.ts')
      const file = resolve(io.cwd, flags.out)
      const key = await writeBackupKeyFile(file).catch((err: unknown) => {
        if (err instanceof BackupKeyExistsError) throw new UsageError(`${file} exists: a key is never overwritten (backups made with it would be lost); choose another --out`)
        throw err
      })
      if (flags.json === true) {
        printJson(io, { file, fingerprint: key.fingerprint })
        return
      }
      io.stdout.write(`wrote ${file} (mode 0600): backup key ${key.fingerprint}\n`)
      io.stdout.write('Keep a copy of this file offline: a backup can be restored only with the key that made it.\n')
    })
  return backup
}
