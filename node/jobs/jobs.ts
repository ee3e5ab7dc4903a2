import { adminSchemas, clip } from '../../protocols/index.ts'
import type { Job, JobKind, JobState } from '../../protocols/index.ts'
import { DEFAULT_MAX_JOBS } from './constants.ts'
import { InvalidJobError, JobCancelledError } from './errors.ts'

const { JOB_KINDS, MAX_JOB_ERROR, MAX_JOB_ITEM, MAX_JOB_LEFT, MAX_JOB_MESSAGE, MAX_JOB_TARGET, MAX_JOB_WHY } = adminSchemas

/** What a job reports as it goes: each field given replaces the one before (counts are totals,
 * not increments; `left` is the whole list of what is left now). */
export interface JobProgress {
  readonly total?: number
  readonly done?: number
  readonly failed?: number
  readonly left?: ReadonlyArray<{ readonly item: string, readonly why: string }>
  readonly message?: string
}

/** What a job's run is handed. */
export interface JobControl {
  /** Aborted by cancel (its reason a JobCancelledError): the run should stop soon and settle. */
  readonly signal: AbortSignal
  /** Reports progress; throws InvalidJobError on values it cannot take. Ignored once the job ended. */
  progress (p: JobProgress): void
}

export interface JobsOptions {
  /** This node's peer id (each job's `node`, and the end of its id). */
  readonly node: string
  /** Finished jobs remembered, the oldest forgotten first (running ones are always kept).
   * @default 100 */
  readonly max?: number
  /** Every change of a job: started, progress, cancelling, ended. Must not throw. */
  readonly onChange?: (job: Job) => void
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

interface Entry {
  job: Mutable<Job>
  readonly controller: AbortController
  /** Waiting for the job to end (settled()). */
  readonly waiters: Set<() => void>
}

/**
 * The jobs of one node: long operations (drains, decommissions, rebalances, migrations, repairs)
 * with progress, kept in memory on the node that runs them, listed and cancelled from any member
 * (ClusterJobs). A job is `running` until its run settles, then `done` (it resolved), `failed` (it
 * rejected) or `cancelled` (it was cancelled, however it settled), for good.
 *
 * Ids are `KIND-N-XXXX` (`drain-3-k7f2`): N counts this node's jobs of that kind since it started,
 * XXXX is the end of its peer id (its last four letters and digits). So ids of different members
 * differ (unless two peer ids end alike: one pair in 11 million), and an operator can tell which
 * node runs a job from its id. A node that restarts has forgotten its jobs and counts from 1 again.
 */
export class Jobs {
  readonly #opts: JobsOptions
  readonly #max: number
  readonly #suffix: string
  /** Oldest first. */
  readonly #entries = new Map<string, Entry>()
  readonly #counters = new Map<JobKind, number>()
  /** Jobs started since the node started, by kind (plexi_jobs_started_total). */
  readonly stats: { readonly started: Readonly<Record<JobKind, number>> }
  readonly #started: Record<JobKind, number>

  constructor (opts: JobsOptions) {
    if (typeof opts.node !== 'string' || opts.node.length === 0) throw new InvalidJobError('Jobs: node must be this node\'s peer id')
    const max = opts.max ?? DEFAULT_MAX_JOBS
    if (!Number.isSafeInteger(max) || max < 0) throw new InvalidJobError(`Jobs: max must be a whole number of jobs, 0 or more, got ${String(max)}`)
    this.#opts = opts
    this.#max = max
    this.#suffix = jobSuffixOf(opts.node)
    this.#started = Object.fromEntries(JOB_KINDS.map((k) => [k, 0])) as Record<JobKind, number>
    this.stats = { started: this.#started }
  }

  /** This node's peer id. */
  get node (): string {
    return this.#opts.node
  }

  /**
   * Starts a job now: `run` is called at once with its control. The string it resolves with becomes
   * the job's last message (done); a rejection fails the job with that error; a job cancelled while
   * it ran is cancelled, whatever its run settles with. Returns the job as it starts.
   */
  start (kind: JobKind, target: string | null, run: (control: JobControl) => Promise<string | void>): Job {
    if (!(JOB_KINDS as readonly string[]).includes(kind)) throw new InvalidJobError(`job kind: expected one of ${JOB_KINDS.join(', ')}, got ${clip(JSON.stringify(kind) ?? String(kind), 40)}`)
    if (target !== null && (typeof target !== 'string' || target.length === 0 || target.length > MAX_JOB_TARGET)) {
      throw new InvalidJobError(`job target: expected null or 1-${MAX_JOB_TARGET} characters (a peer id, TYPE/KEY or partition/N)`)
    }
    if (typeof run !== 'function') throw new InvalidJobError('job run: expected a function')
    const n = (this.#counters.get(kind) ?? 0) + 1
    this.#counters.set(kind, n)
    this.#started[kind]++
    const id = `${kind}-${n}-${this.#suffix}`
    const controller = new AbortController()
    const entry: Entry = {
      job: {
        id, kind, node: this.#opts.node, target, state: 'running', total: 0, done: 0, failed: 0, left: [], message: 'starting', error: null,
        startedAt: new Date().toISOString(), endedAt: null
      },
      controller,
      waiters: new Set()
    }
    this.#entries.set(id, entry)
    this.#changed(entry)
    const control: JobControl = {
      signal: controller.signal,
      progress: (p) => { this.#progress(entry, p) }
    }
    let ran: Promise<string | void>
    try {
      ran = Promise.resolve(run(control))
    } catch (err) {
      // a run that throws before it returns a promise fails the same way as one that rejects
      ran = Promise.reject(err)
    }
    ran.then((value) => { this.#end(entry, { value }) }, (err: unknown) => { this.#end(entry, { err }) })
    return snapshot(entry.job)
  }

  /** A job by id (undefined: not one this node remembers). */
  get (id: string): Job | undefined {
    const entry = this.#entries.get(id)
    return entry === undefined ? undefined : snapshot(entry.job)
  }

  /** Every job this node remembers, the newest first. */
  list (): Job[] {
    return [...this.#entries.values()].reverse().map((e) => snapshot(e.job))
  }

  /** The running jobs (of one kind), the newest first. */
  running (kind?: JobKind): Job[] {
    return this.list().filter((j) => j.state === 'running' && (kind === undefined || j.kind === kind))
  }

  /** Cancels a running job: its signal is aborted, and it stays `running` (message "cancelling")
   * until its run settles, then it is `cancelled`. A finished job is returned unchanged; undefined:
   * no such job here. */
  cancel (id: string): Job | undefined {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (entry.job.state === 'running' && !entry.controller.signal.aborted) {
      entry.job.message = clip(`cancelling: ${entry.job.message}`, MAX_JOB_MESSAGE)
      entry.controller.abort(new JobCancelledError(id))
      this.#changed(entry)
    }
    return snapshot(entry.job)
  }

  /** Resolves with the job once it has ended, or as it is after `ms` (undefined: no such job). */
  async settled (id: string, ms: number): Promise<Job | undefined> {
    const entry = this.#entries.get(id)
    if (entry === undefined || entry.job.state !== 'running') return entry === undefined ? undefined : snapshot(entry.job)
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        entry.waiters.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, Math.max(0, ms))
      entry.waiters.add(wake)
    })
    return snapshot(entry.job)
  }

  #progress (entry: Entry, p: JobProgress): void {
    if (p === null || typeof p !== 'object') throw new InvalidJobError('job progress: expected { total?, done?, failed?, left?, message? }')
    for (const key of ['total', 'done', 'failed'] as const) {
      const v = p[key]
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new InvalidJobError(`job progress: ${key} must be a whole number, 0 or more, got ${clip(String(v), 40)}`)
    }
    if (p.message !== undefined && typeof p.message !== 'string') throw new InvalidJobError('job progress: message must be a string')
    if (p.left !== undefined && (!Array.isArray(p.left) || !p.left.every((l) => l !== null && typeof l === 'object' && typeof l.item === 'string' && typeof l.why === 'string'))) {
      throw new InvalidJobError('job progress: left must be a list of { item: string, why: string }')
    }
    // a run may still report while it stops; what it reports after it ended changes nothing
    if (entry.job.state !== 'running') return
    const job = entry.job
    if (p.total !== undefined) job.total = p.total
    if (p.done !== undefined) job.done = p.done
    if (p.failed !== undefined) job.failed = p.failed
    if (p.left !== undefined) job.left = p.left.slice(0, MAX_JOB_LEFT).map((l) => ({ item: clip(l.item, MAX_JOB_ITEM), why: clip(l.why, MAX_JOB_WHY) }))
    if (p.message !== undefined) job.message = clip(oneLine(p.message), MAX_JOB_MESSAGE)
    this.#changed(entry)
  }

  #end (entry: Entry, outcome: { value: unknown } | { err: unknown }): void {
    const job = entry.job
    const said = 'value' in outcome && typeof outcome.value === 'string' && outcome.value.length > 0 ? clip(oneLine(outcome.value), MAX_JOB_MESSAGE) : undefined
    const counted = job.total > 0 ? ` after ${job.done} of ${job.total}${job.failed > 0 ? ` (${job.failed} failed)` : ''}` : ''
    let state: JobState
    if (entry.controller.signal.aborted) {
      state = 'cancelled'
      job.message = said ?? `cancelled${counted}`
    } else if ('err' in outcome) {
      state = 'failed'
      job.error = clip(oneLine(errorLine(outcome.err)), MAX_JOB_ERROR)
      job.message = clip(`failed${counted}: ${job.error}`, MAX_JOB_MESSAGE)
    } else {
      state = 'done'
      job.message = said ?? (job.total > 0 ? `done: ${job.done} of ${job.total}${job.failed > 0 ? ` (${job.failed} failed)` : ''}` : 'done')
    }
    job.state = state
    job.endedAt = new Date().toISOString()
    this.#forgetOld()
    this.#changed(entry)
    for (const wake of [...entry.waiters]) wake()
  }

  /** Keeps the last `max` finished jobs. */
  #forgetOld (): void {
    let finished = 0
    for (const e of this.#entries.values()) if (e.job.state !== 'running') finished++
    for (const [id, e] of this.#entries) {
      if (finished <= this.#max) return
      if (e.job.state === 'running') continue
      this.#entries.delete(id)
      finished--
    }
  }

  #changed (entry: Entry): void {
    const listener = this.#opts.onChange
    if (listener === undefined) return
    try {
      listener(snapshot(entry.job))
    } catch {
      // a listener's failure is its own: the job and the run reporting to it go on
    }
  }
}

/** The end of a job id that names its node: the peer id's last four letters and digits. */
export function jobSuffixOf (peerId: string): string {
  return peerId.replace(/[^A-Za-z0-9]/g, '').slice(-4) || '0'
}

/** Whether the job `id` may be one of the node `peerId` runs (its id ends with the node's suffix). */
export function mayRunJob (peerId: string, id: string): boolean {
  return id.endsWith(`-${jobSuffixOf(peerId)}`)
}

function snapshot (job: Job): Job {
  return { ...job, left: job.left.map((l) => ({ item: l.item, why: l.why })) }
}

function oneLine (s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}

function errorLine (err: unknown): string {
  if (err instanceof Error) return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`
  return String(err)
}
