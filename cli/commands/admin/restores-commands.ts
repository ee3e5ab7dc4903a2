import type { Command } from 'commander'
import type { Job } from '../../../protocols/index.ts'
import { UsageError } from '../../cli-errors.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { followJob, jobExitCode } from '../../follow-job.ts'
import type { AdminContext } from './admin-context.ts'

type RestoreFlags = ClientFlags & { room?: string, user?: string, since?: string, dryRun?: boolean, wait?: boolean }

/** `plexi admin restore ID`: a backup restored, all of it or one room or user (POST /api/v1/backups/{id}/restore, a job). */
export function restoreCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('restore <id>'), 'admin')
    .description('restore a backup: every entity it holds, or one room (--room) or one user\'s agent (--user). Each journal becomes the backup\'s records, and what was written after the backup goes; the entity is held still on its owner meanwhile. Needs a node holding the key that made the backup; --dry-run first says what would change')
    .option('--room <room>', 'only this room')
    .option('--user <user>', 'only this user\'s agent (its persona, settings and conversation)')
    .option('--since <time>', 'only the entities the backup holds a record of at or after this ISO 8601 time (what changed since then, as the backup saw it); with --room or --user, or alone')
    .option('--dry-run', 'write nothing: list each entity with its records now and in the backup')
    .option('--no-wait', 'start the restore job and return its id')
    .addHelpText('after', `
Examples:
  plexi admin restore bk-20261124t161445-25e639 --room general --dry-run
  plexi admin restore bk-20261124t161445-25e639 --room general
  plexi admin restore bk-20261124t161445-25e639              # everything the backup holds`)
    .action(withFlags(async (id: string, flags: RestoreFlags) => {
      if (flags.room !== undefined && flags.user !== undefined) throw new UsageError('restore: --room or --user, not both (neither: everything)')
      if (flags.since !== undefined && (!/^\d{4}-\d{2}-\d{2}/.test(flags.since) || Number.isNaN(Date.parse(flags.since)))) throw new UsageError(`--since: expected an ISO 8601 time such as 2026-11-24T09:00:00Z, got ${JSON.stringify(flags.since.slice(0, 40))}`)
      const body = {
        ...(flags.room !== undefined && { room: flags.room }),
        ...(flags.user !== undefined && { user: flags.user }),
        ...(flags.since !== undefined && { since: flags.since }),
        ...(flags.dryRun === true && { dryRun: true })
      }
      if (flags.dryRun !== true || flags.wait === false || flags.json === true) {
        await cx.startJob(flags, `/api/v1/backups/${encodeURIComponent(id)}/restore`, body)
        return
      }
      // a dry run followed: then each entity it would change, with its records now and in the backup
      const { api } = await cx.client(flags)
      const job = await api.request<Job>('POST', `/api/v1/backups/${encodeURIComponent(id)}/restore`, body)
      const final = await followJob(api, job.id, cx.io, {})
      for (const change of final.left) cx.io.stdout.write(`  ${change.item}: ${change.why}\n`)
      process.exitCode = jobExitCode(final)
    }))
}
