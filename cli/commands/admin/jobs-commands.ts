import type { Command } from 'commander'
import { JOB_ID_PATTERN, JOB_KINDS, JOB_STATES } from '../../../protocols/admin/index.ts'
import type { Job } from '../../../protocols/index.ts'
import { CliError, UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import type { CliIo } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { followJob, jobExitCode, jobProgress } from '../../follow-job.ts'
import { shortPeer } from '../../short-peer.ts'
import type { AdminContext } from './admin-context.ts'
import { ago } from './ago.ts'

type JobsFlags = ClientFlags & { watch?: boolean, cancel?: boolean, kind?: string, state?: string }

/** `plexi admin jobs [ID]`: every member's jobs, or one in full, followed or cancelled (/api/v1/jobs). */
export function jobsCommand (admin: Command, cx: AdminContext): void {
  withClientOptions(admin.command('jobs [id]'), 'admin')
    .description('long operations of every member (drains, decommissions, rebalances, migrations, repairs) with their progress: a table, the newest first; with an ID, that job in full (what is left and why), --watch to follow it, --cancel to cancel it')
    .option('--watch', 'follow the job until it ends: a progress bar on a terminal, one line per change otherwise, one JSON line per change with --json; Ctrl-C stops following, not the job. Exit 0 when it is done, 1 when it failed or was cancelled')
    .option('--cancel', 'cancel the job wherever it runs; prints it once it stopped (exit 1 if it had already ended)')
    .option('--kind <kind>', `list only jobs of this kind: ${JOB_KINDS.join(', ')}`)
    .option('--state <state>', `list only jobs in this state: ${JOB_STATES.join(', ')}`)
    .addHelpText('after', `
A job id is KIND-N-XXXX (drain-3-k7f2): the Nth job of its kind on the node whose peer id ends in XXXX.
Jobs live in memory on the node that runs them (its last 100 finished ones, until it restarts).

Examples:
  plexi admin jobs                          # every member's jobs: ID KIND NODE TARGET STATE PROGRESS AGE MESSAGE
  plexi admin jobs --state running --json   # {"jobs": [...], "unreachable": [peer ids that did not answer]}
  plexi admin jobs repair-1-k7f2            # one job, with what is left and why
  plexi admin jobs repair-1-k7f2 --watch    # follow it until it ends
  plexi admin jobs repair-1-k7f2 --cancel`)
    .action(withFlags(async (id: string | undefined, flags: JobsFlags) => {
      const kind = checkedValue('--kind', flags.kind, JOB_KINDS)
      const state = checkedValue('--state', flags.state, JOB_STATES)
      if (id === undefined) {
        if (flags.watch === true || flags.cancel === true) throw new UsageError(`${flags.watch === true ? '--watch' : '--cancel'} needs a job id: plexi admin jobs ID ${flags.watch === true ? '--watch' : '--cancel'} (plexi admin jobs lists them)`)
        const query = new URLSearchParams({ ...(kind !== undefined && { kind }), ...(state !== undefined && { state }) }).toString()
        const listed = await (await cx.client(flags)).api.request<{ jobs: Job[], unreachable: string[] }>('GET', `/api/v1/jobs${query === '' ? '' : `?${query}`}`)
        if (flags.json === true) printJson(cx.io, listed)
        else printJobs(cx.io, listed.jobs)
        if (listed.unreachable.length > 0) cx.io.stderr.write(`warning: ${listed.unreachable.length} members did not answer; their jobs are not listed: ${listed.unreachable.join(', ')}\n`)
        return
      }
      if (!JOB_ID_PATTERN.test(id)) throw new UsageError(`job id: expected KIND-N-XXXX such as drain-3-k7f2 (plexi admin jobs lists them), got ${JSON.stringify(id.slice(0, 80))}`)
      if (kind !== undefined || state !== undefined) throw new UsageError('--kind and --state filter the listing; leave them out with a job id')
      await oneJob(cx, id, flags)
    }))
}

/** One job: shown in full, followed (--watch) or cancelled (--cancel). */
async function oneJob ({ io, client }: AdminContext, id: string, flags: JobsFlags): Promise<void> {
  const { api } = await client(flags)
  const path = `/api/v1/jobs/${encodeURIComponent(id)}`
  // a job no member has: the node's words ("no job X on any member ..."), not the request's
  const unknownJob = (err: unknown): never => {
    if (err instanceof CliError && err.answer?.status === 404) throw new CliError(err.answer.message)
    throw err
  }
  if (flags.cancel === true) {
    const job = await api.request<Job>('POST', `${path}/cancel`).catch(unknownJob)
    if (job.state !== 'running' && job.state !== 'cancelled') {
      if (flags.json === true) printJson(io, job)
      throw new CliError(`job ${id} had already ended (${job.state}): nothing to cancel`)
    }
    if (flags.watch === true && job.state === 'running') {
      const final = await followJob(api, id, io, { json: flags.json })
      if (final.state !== 'cancelled') process.exitCode = jobExitCode(final)
      return
    }
    if (flags.json === true) {
      printJson(io, job)
      return
    }
    io.stdout.write(job.state === 'cancelled'
      ? `${id} cancelled: ${job.message}\n`
      : `${id} is stopping (${job.message}); follow it with plexi admin jobs ${id} --watch\n`)
    return
  }
  if (flags.watch === true) {
    const final = await followJob(api, id, io, { json: flags.json }).catch(unknownJob)
    process.exitCode = jobExitCode(final)
    return
  }
  const job = await api.request<Job>('GET', path).catch(unknownJob)
  if (flags.json === true) printJson(io, job)
  else printJob(io, job)
}

function printJobs (io: CliIo, jobs: readonly Job[]): void {
  printTable(io, ['ID', 'KIND', 'NODE', 'TARGET', 'STATE', 'PROGRESS', 'AGE', 'MESSAGE'], jobs.map((j) => [
    j.id, j.kind, shortPeer(j.node), j.target ?? '-', j.state, jobProgress(j), ago(j.startedAt), j.message
  ]))
}

function printJob (io: CliIo, job: Job): void {
  const lines: Array<[string, string]> = [
    ['id', job.id], ['kind', job.kind], ['node', job.node], ['target', job.target ?? '-'], ['state', job.state], ['progress', jobProgress(job)],
    ['message', job.message], ...(job.error === null ? [] : [['error', job.error] as [string, string]]),
    ['started', `${job.startedAt} (${ago(job.startedAt)})`], ['ended', job.endedAt ?? '-']
  ]
  for (const [key, value] of lines) io.stdout.write(`${`${key}:`.padEnd(10)}${value}\n`)
  if (job.left.length > 0) {
    io.stdout.write(`left:\n`)
    for (const l of job.left) io.stdout.write(`  ${l.item}: ${l.why}\n`)
  }
}

/** A flag's value checked against the values it may take (UsageError otherwise). */
function checkedValue<T extends string> (flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`)
  return value as T
}
