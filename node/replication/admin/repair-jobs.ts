import type { ActorSystem } from '../../../actors/index.ts'
import { describe } from '../../../protocols/index.ts'
import type { RepairJob } from '../../../protocols/index.ts'
import type { JobControl, Jobs } from '../../jobs/index.ts'
import { MAX_REPAIR_JOBS, REPAIR_ASK_MS, REPAIR_CHUNK } from '../constants.ts'
import { UnknownPartitionError } from '../errors.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import type { RepairResult } from '../repair/anti-entropy.ts'
import { checkRepairResult } from './inspector-replies.ts'
import { REPLICATION_PATH } from './replication-inspector.ts'
import type { RepairParts, ReplicationMsg } from './replication-inspector.ts'

export interface RepairJobsOptions {
  readonly system: ActorSystem
  readonly journal: ReplicatedJournal
  /** The members this node knows, with their status. */
  readonly members: () => ReadonlyArray<{ peerId: string, status: string }>
  /** This node's anti-entropy (absent: this node's own replicas are not repaired). */
  readonly parts?: RepairParts
  /** This node's jobs: each repair is one too (kind repair), listed and cancelled with the others
   * (absent: repairs are kept here only). */
  readonly jobs?: Jobs
}

/** A repair job as it runs. */
type RunningJob = { -readonly [K in keyof RepairJob]: RepairJob[K] } & { failures: string[] }

/**
 * The repair jobs started on this node (POST /api/v1/repairs), the last MAX_REPAIR_JOBS of them:
 * each partition (or the one asked for), a few at a time, is compared by every live replica of it
 * with every other live replica, and what differs moves (AntiEntropy.repair on each node).
 */
export class RepairJobs {
  readonly #opts: RepairJobsOptions
  /** The newest last. */
  readonly #jobs: RunningJob[] = []
  #nextJob = 1

  constructor (opts: RepairJobsOptions) {
    this.#opts = opts
  }

  /** Starts a repair job; resolves with the job as it starts (`job(id)` follows it). */
  start (only?: number): RepairJob {
    const { journal } = this.#opts
    if (only !== undefined && (only < 0 || only >= journal.partitions)) throw new UnknownPartitionError(only, journal.partitions)
    const numbers = only === undefined ? Array.from({ length: journal.partitions }, (_, p) => p) : [only]
    const job: RunningJob = {
      id: '',
      state: 'running',
      partition: only ?? null,
      partitions: numbers.length,
      partitionsDone: 0,
      comparisons: 0,
      recordsFilled: 0,
      recordsRepaired: 0,
      bytes: 0,
      divergent: 0,
      failures: [],
      startedAt: new Date().toISOString(),
      endedAt: null
    }
    const repair = async (control?: JobControl): Promise<string> => {
      await this.#run(job, numbers, control)
      return repairSummary(job)
    }
    let ran!: Promise<string>
    const jobs = this.#opts.jobs
    if (jobs === undefined) {
      job.id = `repair-${this.#nextJob++}`
      ran = repair()
    } else {
      // one job, two views: /repairs shows it as repair-N, /jobs as repair-N-XXXX (start calls
      // the run at once)
      const registered = jobs.start('repair', only === undefined ? null : `partition/${only}`, (control) => (ran = repair(control)))
      job.id = registered.id.slice(0, registered.id.lastIndexOf('-'))
    }
    this.#jobs.push(job)
    if (this.#jobs.length > MAX_REPAIR_JOBS) this.#jobs.splice(0, this.#jobs.length - MAX_REPAIR_JOBS)
    // (both outcomes are handled: the job's state says how it ended, and nothing rejects after)
    void ran.then(() => { job.state = 'done' }, (err: unknown) => {
      // a cancelled repair is a failed one here: RepairJob's states are a contract
      job.state = 'failed'
      job.failures.push(err instanceof Error && err.name === 'JobCancelledError' ? `cancelled after ${job.partitionsDone} of ${job.partitions} partitions` : describe(err))
    }).finally(() => { job.endedAt = new Date().toISOString() })
    return { ...job, failures: [...job.failures] }
  }

  /** A repair job by id (undefined: not one of the last MAX_REPAIR_JOBS on this node). */
  job (id: string): RepairJob | undefined {
    const job = this.#jobs.find((j) => j.id === id)
    return job === undefined ? undefined : { ...job, failures: [...job.failures] }
  }

  list (): RepairJob[] {
    return this.#jobs.map((j) => ({ ...j, failures: [...j.failures] }))
  }

  async #run (job: RunningJob, numbers: readonly number[], control?: JobControl): Promise<void> {
    const { system, journal } = this.#opts
    /** What could not be compared, and why (the job's `left`). */
    const left: Array<{ item: string, why: string }> = []
    const report = (message: string): void => {
      control?.progress({ total: job.partitions, done: job.partitionsDone, failed: job.failures.length, left, message })
    }
    for (let i = 0; i < numbers.length; i += REPAIR_CHUNK) {
      // cancelled: stop between chunks (the chunk in flight finishes on its nodes)
      control?.signal.throwIfAborted()
      const chunk = numbers.slice(i, i + REPAIR_CHUNK)
      report(`comparing the replicas of partition${chunk.length === 1 ? '' : 's'} ${chunk.join(', ')}; ${job.recordsFilled + job.recordsRepaired} records moved so far`)
      const status = new Map(this.#opts.members().map((m) => [m.peerId, m.status]))
      const nodes = [...new Set(chunk.flatMap((p) => journal.placement(p).replicas))]
      await Promise.all(nodes.map(async (node) => {
        const mine = chunk.filter((p) => journal.placement(p).replicas.includes(node))
        try {
          let result: RepairResult
          if (node === system.node) {
            const ae = this.#opts.parts?.antiEntropy()
            if (ae === undefined) throw new Error('this node does not run anti-entropy')
            result = await ae.repair(mine)
          } else {
            if (status.get(node) === 'down') throw new Error('down')
            result = checkRepairResult(await system.actorAt<ReplicationMsg>({ node, path: REPLICATION_PATH })
              .ask<unknown>((replyTo) => ({ type: 'repair', partitions: mine, replyTo }), { timeout: REPAIR_ASK_MS }))
          }
          job.comparisons += result.peers
          job.recordsFilled += result.records
          job.recordsRepaired += result.repaired
          job.bytes += result.bytes
          job.divergent += result.divergent
          job.failures.push(...result.failures.slice(0, 16).map((f) => `${node}: ${f}`))
          left.push(...result.failures.slice(0, 16).map((f) => ({ item: node, why: f })))
        } catch (err) {
          job.failures.push(`${node}: partitions ${mine.join(', ')} not repaired: ${describe(err)}`)
          left.push({ item: `partitions ${mine.join(', ')} on ${node}`, why: `not repaired: ${describe(err)}` })
        }
      }))
      job.partitionsDone += chunk.length
      report(`compared the replicas of ${job.partitionsDone} of ${job.partitions} partitions; ${job.recordsFilled + job.recordsRepaired} records moved so far`)
    }
  }
}

/** A repair's outcome in one line (its job's last message). */
function repairSummary (job: { partition: number | null, partitions: number, comparisons: number, recordsFilled: number, recordsRepaired: number, bytes: number, divergent: number, failures: readonly string[] }): string {
  const scope = job.partition === null ? `${job.partitions} partitions` : `partition ${job.partition}`
  const compared = job.comparisons === 0 ? 'no other replica to compare with' : `${job.comparisons} replica comparisons`
  return `${scope}, ${compared}; ${job.recordsFilled} records filled, ${job.recordsRepaired} repaired, ${job.bytes} bytes moved` +
    `${job.divergent > 0 ? `, ${job.divergent} entities whose replicas part` : ''}${job.failures.length > 0 ? `; ${job.failures.length} comparisons failed` : ''}`
}
