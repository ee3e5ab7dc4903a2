import { randomBytes } from 'node:crypto'
import { PeriodicService, ServiceFailures } from '../services/index.ts'
import type { ServiceLog } from '../services/index.ts'
import type { CatalogClient } from './catalog-client.ts'
import { LOCK_MS } from './constants.ts'
import { BackupBusyError } from './errors.ts'

export interface CatalogLockOptions {
  readonly catalog: CatalogClient
  /** This node's peer id (each hold is this id and a random suffix: two holds of one node are two). */
  readonly self: string
  /** Where a failed renewal is counted (service `backup-lock-renewal`). @default a counter of its own */
  readonly failures?: ServiceFailures
  readonly log: ServiceLog
  /** How long the lock is taken for; renewed at a third of it. @default LOCK_MS */
  readonly lockMs?: number
}

/**
 * The catalog's lock for removing chunks (`backup rm`, retention, a sweep): while a node holds it
 * no backup begins or resumes, so none can come to name chunks being removed. `run` takes it,
 * renews it while its work runs (a supervised loop: a renewal that fails is counted, logged and
 * tried again; the lock lapses by itself only when renewals keep failing for its whole term), and
 * gives it back after.
 */
export class CatalogLock {
  readonly #opts: CatalogLockOptions
  readonly #failures: ServiceFailures

  constructor (opts: CatalogLockOptions) {
    this.#opts = opts
    this.#failures = opts.failures ?? new ServiceFailures()
  }

  /** Runs `work` holding the lock; BackupBusyError (nothing run) when another node holds it. */
  async run<T> (patient: boolean, work: () => Promise<T>): Promise<T> {
    const { catalog, self, log } = this.#opts
    const lockMs = this.#opts.lockMs ?? LOCK_MS
    const owner = `${self}#${randomBytes(3).toString('hex')}`
    const take = async (): Promise<void> => {
      const now = Date.now()
      await catalog.ask({ type: 'lock', node: owner, until: now + lockMs, ts: now }, patient).catch((err: unknown) => {
        throw (err as Error).name === 'BackupCatalogError' ? new BackupBusyError((err as Error).message) : err
      })
    }
    await take()
    const renewal = new PeriodicService({ name: 'backup-lock-renewal', run: take, intervalMs: lockMs / 3, failures: this.#failures, log })
    renewal.start()
    try {
      return await work()
    } finally {
      await renewal.stop()
      // a lock not given back lapses by itself within lockMs: a failed unlock only delays the next
      // backup, and must not hide how the work ended
      await catalog.ask({ type: 'unlock', node: owner }, true).catch(() => undefined)
    }
  }
}
