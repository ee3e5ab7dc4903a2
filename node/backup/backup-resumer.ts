import type { BackupEntry, RestoreEntry } from '../../actors/index.ts'
import type { Job } from '../jobs/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { BackupContext } from './backup-context.ts'
import { BackupCreator } from './backup-creator.ts'
import type { BackupKey } from './backup-key.ts'
import { BackupRestorer } from './backup-restorer.ts'
import { RESUME_CHECK_MS } from './constants.ts'
import { openManifest } from './manifest.ts'
import type { BackupManifest } from './manifest.ts'

/**
 * Resumes the backups and restores that stopped with their node. Jobs live in memory: a backup
 * this node was making when it stopped has ended with it, and goes on here from its checkpoint
 * (only a node holding the key makes backups); one whose node is down is taken over by a node
 * holding the key; restores likewise, from their cursor. `start` looks at once and then every
 * RESUME_CHECK_MS, as a supervised service (`backup-resume`).
 */
export class BackupResumer {
  readonly #ctx: BackupContext
  readonly #restorer: BackupRestorer
  #service: PeriodicService | undefined

  constructor (ctx: BackupContext) {
    this.#ctx = ctx
    this.#restorer = new BackupRestorer(ctx)
  }

  /** Looks now and every `everyMs` when this node holds the key; idempotent. */
  start (everyMs = RESUME_CHECK_MS): void {
    if (this.#ctx.opts.key === undefined || this.#service !== undefined) return
    this.#service = new PeriodicService({ name: 'backup-resume', run: async () => await this.resumeInterrupted(), intervalMs: everyMs, runAtStart: true, failures: this.#ctx.failures, log: this.#ctx.serviceLog })
    this.#service.start()
  }

  async stop (): Promise<void> {
    await this.#service?.stop()
  }

  /**
   * Resumes this node's own backups that no job here runs (it restarted), and, when `live` says so,
   * another node's whose node is down. Each goes on from its checkpoint under the same id, as a new
   * job here (the catalog's compare-and-set makes one node take it when several try). A backup of
   * another key is marked failed when it is this node's, and left to a node holding its key
   * otherwise. Then the restores, likewise. Resolves with the jobs started.
   */
  async resumeInterrupted (): Promise<Job[]> {
    const key = this.#ctx.requireKey()
    const started: Job[] = []
    for (const b of await this.#ctx.catalog.list(true)) {
      if (b.state !== 'running' || this.#ctx.stillRunning(b)) continue
      if (b.keyFingerprint !== key.fingerprint) {
        if (b.node !== this.#ctx.opts.self) continue
        await this.#ctx.catalog.ask({ type: 'fail', id: b.id, error: `interrupted: the node making it stopped, and now holds key ${key.fingerprint}, not ${b.keyFingerprint}; start a new backup`, ts: Date.now() }, true)
        continue
      }
      try {
        started.push(await this.#resumeBackup(key, b))
      } catch (err) {
        this.#ctx.opts.log?.warn({ err, backup: b.id }, `backup ${b.id} not resumed: ${(err as Error).message}`)
      }
    }
    for (const r of await this.#ctx.catalog.restores(true)) {
      if (r.state !== 'running' || !this.#stopped(r)) continue
      try {
        started.push(await this.#resumeRestore(key, r))
      } catch (err) {
        this.#ctx.opts.log?.warn({ err, restore: r.id }, `restore ${r.id} not resumed: ${(err as Error).message}`)
      }
    }
    return started
  }

  /** Whether a running restore's node stopped making it: this node (no job of it here), or a node down. */
  #stopped (r: RestoreEntry): boolean {
    return r.node === this.#ctx.opts.self ? !this.#ctx.restoring.has(r.id) : this.#ctx.opts.live?.(r.node) === false
  }

  async #resumeBackup (key: BackupKey, b: BackupEntry): Promise<Job> {
    const { catalog, holders, opts } = this.#ctx
    // the checkpoint first: a backup whose checkpoint no holder serves starts over, as a new one would
    let from: BackupManifest | undefined
    if (b.checkpoint != null) {
      from = await holders.fetch(b.checkpoint.digest, b.checkpoint.digest, b.checkpoint.holders).then((sealed) => openManifest(key, b.id, sealed, b.keyFingerprint), (err: unknown) => {
        opts.log?.warn({ err, backup: b.id }, `backup ${b.id}: its checkpoint could not be read (${(err as Error).message}); it starts over`)
        return undefined
      })
    }
    await catalog.ask({ type: 'resume', id: b.id, from: b.node, node: opts.self, ts: Date.now() }, true)
    const job = BackupCreator.start(this.#ctx, key, b.id, b.note, { from, checkpoint: b.checkpoint ?? null })
    opts.log?.info({ backup: b.id, job: job.id, partitions: from?.partitions.length ?? 0 }, `backup ${b.id} resumed${b.node === opts.self ? '' : ` from ${b.node}, which is down`} (${job.id}), from a checkpoint of ${from?.partitions.length ?? 0} partitions`)
    return job
  }

  async #resumeRestore (key: BackupKey, r: RestoreEntry): Promise<Job> {
    const { opts } = this.#ctx
    await this.#ctx.catalog.ask({ type: 'restore-resume', id: r.id, from: r.node, node: opts.self, ts: Date.now() }, true)
    const job = this.#restorer.start(key, r.backup, r.selection, false, { id: r.id, cursor: r.cursor })
    opts.log?.info({ restore: r.id, backup: r.backup, job: job.id }, `restore ${r.id} of ${r.backup} resumed at entity ${r.cursor + 1} of ${r.total}${r.node === opts.self ? '' : ` from ${r.node}, which is down`} (${job.id})`)
    return job
  }
}
