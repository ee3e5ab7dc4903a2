import type { ActorSystem } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import type { Job, JobKind, JobState } from '../../protocols/index.ts'
import { CANCEL_JOB_WAIT_MS, INSPECTOR_PATH } from '../mesh/index.ts'
import type { InspectorMsg } from '../mesh/index.ts'
import { checkJob, checkJobList } from './check-job.ts'
import { DEFAULT_MAX_JOBS, JOBS_ASK_MS } from './constants.ts'
import { UnknownJobError } from './errors.ts'
import { mayRunJob } from './jobs.ts'
import type { Jobs } from './jobs.ts'

export interface ClusterJobsOptions {
  readonly system: ActorSystem
  /** This node's jobs. */
  readonly jobs: Jobs
  /** The members this node knows, with their status (down ones are not asked). */
  readonly members: () => ReadonlyArray<{ readonly peerId: string, readonly status: string }>
  readonly log: { debug (obj: object, msg: string): void }
}

export interface JobFilter {
  readonly kind?: JobKind | undefined
  readonly state?: JobState | undefined
}

/**
 * The jobs of the whole cluster, as the admin API shows them: this node's own, and every other
 * member's asked of its inspector (`/inspector`: `jobs`, `cancel-job`). What another member answers
 * is checked (checkJob) before it is shown; a member that does not answer, or answers something
 * that is not its jobs, is named unreachable (and logged at debug), never trusted.
 */
export class ClusterJobs {
  readonly #opts: ClusterJobsOptions

  constructor (opts: ClusterJobsOptions) {
    this.#opts = opts
  }

  /** Every member's jobs (filtered), the newest first; members that did not answer are named. */
  async list (filter: JobFilter = {}): Promise<{ jobs: Job[], unreachable: string[] }> {
    const unreachable: string[] = []
    const lists = await Promise.all([this.#opts.system.node, ...this.#others()].map(async (peer) => {
      if (peer === this.#opts.system.node) return this.#opts.jobs.list()
      const jobs = await this.#ask(peer)
      if (jobs === undefined) unreachable.push(peer)
      return jobs ?? []
    }))
    const jobs = lists.flat()
      .filter((j) => (filter.kind === undefined || j.kind === filter.kind) && (filter.state === undefined || j.state === filter.state))
      .sort(newestFirst)
    return { jobs, unreachable: unreachable.sort() }
  }

  /** One job, from whichever member runs it (its id names the node); UnknownJobError if none has it. */
  async get (id: string): Promise<Job> {
    const own = this.#opts.jobs.get(id)
    if (own !== undefined) return own
    const { candidates, down } = this.#candidates(id)
    const unreachable: string[] = []
    const found = await Promise.all(candidates.map(async (peer) => {
      const jobs = await this.#ask(peer, id)
      if (jobs === undefined) unreachable.push(peer)
      return jobs?.find((j) => j.id === id)
    }))
    const job = found.filter((j): j is Job => j !== undefined).sort(newestFirst)[0]
    if (job === undefined) throw this.#unknown(id, unreachable, down)
    return job
  }

  /**
   * Cancels a job wherever it runs, and answers with it once it stopped (or, if it takes longer,
   * as it is then: still running, its message saying it is cancelling). A finished job is
   * answered unchanged; UnknownJobError if no member has it.
   */
  async cancel (id: string): Promise<Job> {
    const { system, jobs, log } = this.#opts
    if (jobs.cancel(id) !== undefined) return await jobs.settled(id, CANCEL_JOB_WAIT_MS) as Job
    const { candidates, down } = this.#candidates(id)
    const unreachable: string[] = []
    const found = await Promise.all(candidates.map(async (peer) => {
      try {
        const answer = await system.actorAt<InspectorMsg>({ node: peer, path: INSPECTOR_PATH })
          .ask<unknown>((replyTo) => ({ type: 'cancel-job', id, replyTo }), { timeout: CANCEL_JOB_WAIT_MS + JOBS_ASK_MS })
        return answer === null ? undefined : checkJob(answer, peer)
      } catch (err) {
        unreachable.push(peer)
        log.debug({ peer, err }, `member ${peer} did not answer a cancel of job ${id}: ${describe(err)}`)
        return undefined
      }
    }))
    const job = found.filter((j): j is Job => j !== undefined && j.id === id).sort(newestFirst)[0]
    if (job === undefined) throw this.#unknown(id, unreachable, down)
    return job
  }

  /** The other members that are not down. */
  #others (): string[] {
    const self = this.#opts.system.node
    return [...new Set(this.#opts.members().filter((m) => m.status !== 'down' && m.peerId !== self).map((m) => m.peerId))]
  }

  /** The members that may run job `id` (its id ends with the end of their peer id), and those of
   * them that are down. */
  #candidates (id: string): { candidates: string[], down: string[] } {
    const self = this.#opts.system.node
    const matching = this.#opts.members().filter((m) => m.peerId !== self && mayRunJob(m.peerId, id))
    return {
      candidates: [...new Set(matching.filter((m) => m.status !== 'down').map((m) => m.peerId))],
      down: [...new Set(matching.filter((m) => m.status === 'down').map((m) => m.peerId))]
    }
  }

  /** A member's jobs (only `id`, when given), checked; undefined when it did not answer or its
   * answer is not its jobs. */
  async #ask (peer: string, id?: string): Promise<Job[] | undefined> {
    const { system, log } = this.#opts
    let answer: unknown
    try {
      answer = await system.actorAt<InspectorMsg>({ node: peer, path: INSPECTOR_PATH })
        .ask<unknown>((replyTo) => ({ type: 'jobs', ...(id !== undefined && { id }), replyTo }), { timeout: JOBS_ASK_MS })
    } catch (err) {
      log.debug({ peer, err }, `member ${peer} did not list its jobs: ${describe(err)}`)
      return undefined
    }
    try {
      return checkJobList(answer, peer)
    } catch (err) {
      // a member of another version, or a broken one: its answer is left out, never shown
      log.debug({ peer, err }, `member ${peer} answered with something that is not its jobs; ignored: ${describe(err)}`)
      return undefined
    }
  }

  #unknown (id: string, unreachable: readonly string[], down: readonly string[]): UnknownJobError {
    const why = [
      ...down.length > 0 ? [`the member it would run on is down (${down.join(', ')})`] : [],
      ...unreachable.length > 0 ? [`${unreachable.join(', ')} did not answer`] : []
    ]
    return new UnknownJobError(id, `no job ${id} on any member${why.length > 0 ? `: ${why.join('; ')}` : ''} (a node keeps its jobs in memory: the running ones and its last ${DEFAULT_MAX_JOBS} finished, until it restarts)`)
  }
}

/** The newest first, by start time (a stable sort: jobs of one node started in the same
 * millisecond keep that node's order, the newest first). */
function newestFirst (a: Job, b: Job): number {
  return b.startedAt.localeCompare(a.startedAt)
}
