import { RETENTION, RETENTION_POLICY_KEY } from '../../actors/index.ts'
import type { ActorSystem, RetentionSettings, RoomRetention } from '../../actors/index.ts'
import type { Job } from '../../protocols/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { ServiceFailures, ServiceLog } from '../services/index.ts'

export interface RetentionSchedulerOptions {
  readonly system: Pick<ActorSystem, 'entity'>
  /** How often (config retention-schedule, in ms). */
  readonly everyMs: number
  /** The cluster's default retention (undefined: keep forever). */
  readonly defaults: () => RoomRetention | undefined
  /** Whether this node runs the cluster's retention now: the member of the lowest id among those up
   * (every node's view names the same one, but for a moment after a change: a run twice is
   * harmless, each room trims to the same cut). */
  readonly elected: () => boolean
  /** Retention jobs running on this node. */
  readonly running: () => number
  /** Starts the retention job (RetentionRunner.start). */
  readonly start: () => Job
  readonly failures: ServiceFailures
  readonly log: ServiceLog
}

/**
 * Runs retention on a schedule (config retention-schedule, a day by default), as an operator's
 * `plexi admin retention run` does: at each look, on one member of the cluster, when no retention
 * job runs there and some retention applies (the cluster's default, or a room's own), it starts
 * the job. A supervised service (`retention-schedule`).
 */
export class RetentionScheduler {
  readonly #opts: RetentionSchedulerOptions
  readonly #service: PeriodicService

  constructor (opts: RetentionSchedulerOptions) {
    this.#opts = opts
    this.#service = new PeriodicService({ name: 'retention-schedule', run: async () => { await this.due() }, intervalMs: opts.everyMs, failures: opts.failures, log: opts.log })
  }

  start (): void { this.#service.start() }

  async stop (): Promise<void> { await this.#service.stop() }

  /** One look: the job it started, or why none. */
  async due (): Promise<Job | 'not this member' | 'running' | 'no retention'> {
    const o = this.#opts
    if (!o.elected()) return 'not this member'
    if (o.running() > 0) return 'running'
    if (o.defaults() === undefined) {
      const settings = await o.system.entity(RETENTION, RETENTION_POLICY_KEY).ask<RetentionSettings>((replyTo) => ({ type: 'get', replyTo }))
      if (!Object.values(settings).some((s) => s !== 'forever')) return 'no retention'
    }
    const job = o.start()
    o.log.info({ job: job.id }, `scheduled retention started (${job.id})`)
    return job
  }
}
