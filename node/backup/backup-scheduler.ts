import type { Job } from '../jobs/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { BackupContext } from './backup-context.ts'
import { SCHEDULE_CHECK_MS } from './constants.ts'

/**
 * Makes backups on a schedule (scheduleMs): at each look, when this node holds the key, a member
 * holds the backup role, no backup runs and none (made by any node) started within the interval,
 * it starts one. Several nodes holding the key and a schedule make about one backup an interval.
 * It looks every interval, at most every SCHEDULE_CHECK_MS, as a supervised service
 * (`backup-schedule`).
 */
export class BackupScheduler {
  readonly #ctx: BackupContext
  readonly #create: (note: string) => Job
  #service: PeriodicService | undefined

  /** `create` starts a backup job (BackupService.create). */
  constructor (ctx: BackupContext, create: (note: string) => Job) {
    this.#ctx = ctx
    this.#create = create
  }

  /** Starts looking, when this node holds the key and a schedule is set; idempotent. */
  start (): void {
    const every = this.#ctx.opts.scheduleMs
    if (every === undefined || this.#ctx.opts.key === undefined || this.#service !== undefined) return
    this.#service = new PeriodicService({ name: 'backup-schedule', run: async () => { await this.due(every) }, intervalMs: Math.min(every, SCHEDULE_CHECK_MS), failures: this.#ctx.failures, log: this.#ctx.serviceLog })
    this.#service.start()
  }

  async stop (): Promise<void> {
    await this.#service?.stop()
  }

  /** One look: starts a backup when one is due; resolves with its job, or undefined. */
  async due (every: number): Promise<Job | undefined> {
    const { catalog, holders, opts } = this.#ctx
    if (holders.empty || opts.jobs.running('backup').length > 0) return undefined
    const list = await catalog.list()
    const last = Math.max(0, ...list.filter((b) => b.state === 'done' || this.#ctx.stillRunning(b)).map((b) => b.startedAt))
    if (list.some((b) => this.#ctx.stillRunning(b)) || Date.now() - last < every) return undefined
    const job = this.#create('scheduled')
    opts.log?.info({ job: job.id }, `scheduled backup ${job.target ?? ''} started (${job.id})`)
    return job
  }
}
