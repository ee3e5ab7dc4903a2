import type { Job } from '../protocols/index.ts'
import type { AdminClient } from './admin-client.ts'
import { abortableSleep, untilAborted } from './abortable-wait.ts'
import { CliError } from './cli-errors.ts'
import { isTerminal } from './cli-io.ts'
import type { CliIo } from './cli-io.ts'
import { FOLLOW_INTERVAL_MS, LEFT_SHOWN } from './constants.ts'
import { ProgressBar } from './progress-bar.ts'


/** Exit code when following stopped on Ctrl-C and the job goes on: what the shell reports for a
 * command that SIGINT ended (128 + 2), as every other plexi command ends on Ctrl-C. */
export const EXIT_INTERRUPTED = 130

export interface FollowJobOptions {
  /** One JSON line (the Job) on stdout for each poll whose job changed, and nothing else there. */
  readonly json?: boolean | undefined
  /** @default 250 */
  readonly intervalMs?: number
  /** Stops following when aborted, as Ctrl-C does (the job goes on). */
  readonly signal?: AbortSignal
}

/**
 * Follows job `id` (GET /api/v1/jobs/{id} every 250 ms) until it ends, showing its progress: with
 * `json`, one JSON line per change on stdout; on a terminal (stderr a TTY), a progress bar on stderr
 * (done of total, failed, what it does now); otherwise one plain line per change on stderr. Then
 * one line on stdout says how it ended (not with `json`), and on stderr what was left and why.
 *
 * Ctrl-C (or `signal`) stops following, not the job: it says how to follow it again and returns
 * the job as last seen, still running. Returns the final job; `jobExitCode(job)` is the exit code
 * for it (0 done, 1 failed or cancelled, 130 still running). A node that no longer has the job
 * (it restarted) is a CliError.
 */
export async function followJob (api: AdminClient, id: string, io: CliIo, opts: FollowJobOptions = {}): Promise<Job> {
  const interval = opts.intervalMs ?? FOLLOW_INTERVAL_MS
  const stop = new AbortController()
  const interrupt = (): void => { stop.abort() }
  process.on('SIGINT', interrupt)
  if (opts.signal?.aborted === true) stop.abort()
  opts.signal?.addEventListener('abort', interrupt, { once: true })
  const display = opts.json === true ? new JsonLines(io) : isTerminal(io.stderr) ? new Bar(io, id) : new PlainLines(io)
  let last: Job | undefined
  try {
    for (;;) {
      const job = await untilAborted(api.request<Job>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`), stop.signal)
      if (job === undefined) break
      // the same id on a node that restarted names another job
      if (last !== undefined && (job.startedAt !== last.startedAt || job.node !== last.node)) {
        throw new CliError(`job ${id} is gone: its node restarted, and runs another job of that id now (started ${job.startedAt})`)
      }
      display.show(job)
      last = job
      if (job.state !== 'running') break
      if (!await abortableSleep(interval, stop.signal)) break
    }
  } finally {
    process.off('SIGINT', interrupt)
    opts.signal?.removeEventListener('abort', interrupt)
    display.close()
  }
  if (last === undefined) throw new CliError(`stopped before job ${id} was shown; follow it with \`plexi admin jobs ${id} --watch\``)
  if (last.state === 'running') {
    io.stderr.write(`stopped following ${id}; the job goes on. Follow it again: plexi admin jobs ${id} --watch; cancel it: plexi admin jobs ${id} --cancel\n`)
    return last
  }
  if (opts.json !== true) io.stdout.write(`${id} ${last.state}: ${last.message}\n`)
  printLeft(io, last)
  return last
}

/** The exit code for a followed job: 0 done, 1 failed or cancelled, 130 still running (following
 * was stopped). */
export function jobExitCode (job: Job): number {
  return job.state === 'done' ? 0 : job.state === 'running' ? EXIT_INTERRUPTED : 1
}

/** `3/10`, `3/?` while the total is not known, with ` (1 failed)` when some failed. */
export function jobProgress (job: Job): string {
  return `${job.done}/${job.total > 0 ? job.total : '?'}${job.failed > 0 ? ` (${job.failed} failed)` : ''}`
}

/** What a job left and why, on stderr (a job that ended with some left, or with failures). */
export function printLeft (io: CliIo, job: Job): void {
  if (job.left.length === 0 || (job.state === 'done' && job.failed === 0)) return
  io.stderr.write(`${job.id} left ${job.left.length}${job.left.length >= 50 ? ' or more' : ''}:\n`)
  for (const l of job.left.slice(0, LEFT_SHOWN)) io.stderr.write(`  ${l.item}: ${l.why}\n`)
  if (job.left.length > LEFT_SHOWN) io.stderr.write(`  and ${job.left.length - LEFT_SHOWN} more: plexi admin jobs ${job.id} --json\n`)
}

interface Display {
  show (job: Job): void
  close (): void
}

/** One JSON line per change, on stdout. */
class JsonLines implements Display {
  readonly #io: CliIo
  #shown = ''
  constructor (io: CliIo) { this.#io = io }
  show (job: Job): void {
    const line = JSON.stringify(job)
    if (line === this.#shown) return
    this.#shown = line
    this.#io.stdout.write(`${line}\n`)
  }

  close (): void {}
}

/** One plain line per change of state, progress or message, on stderr. */
class PlainLines implements Display {
  readonly #io: CliIo
  #shown = ''
  constructor (io: CliIo) { this.#io = io }
  show (job: Job): void {
    const line = `${job.id} ${job.state} ${jobProgress(job)}: ${job.message}`
    if (line === this.#shown) return
    this.#shown = line
    this.#io.stderr.write(`${line}\n`)
  }

  close (): void {}
}

/** A progress bar on stderr (a terminal): done of total, failed, and what the job does now. */
class Bar implements Display {
  readonly #bar: ProgressBar
  // followJob handles Ctrl-C and stops the bar then: the cursor may be hidden meanwhile
  constructor (io: CliIo, id: string) { this.#bar = new ProgressBar(io, id, { hideCursor: true }) }
  show (job: Job): void { this.#bar.update(job.done, job.total, jobProgress(job), job.message) }
  close (): void { this.#bar.stop() }
}
