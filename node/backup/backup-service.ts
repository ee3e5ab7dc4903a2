import type { BackupEntry, RestoreEntry } from '../../actors/index.ts'
import type { Job } from '../jobs/index.ts'
import { BackupAuditor } from './backup-auditor.ts'
import { BackupContext } from './backup-context.ts'
import type { BackupServiceOptions, BackupServiceStats } from './backup-context.ts'
import { BackupCreator } from './backup-creator.ts'
import { newBackupId } from './backup-id.ts'
import { BackupRemover } from './backup-remover.ts'
import { BackupRestorer } from './backup-restorer.ts'
import type { RestoreSelection } from './backup-restorer.ts'
import { BackupResumer } from './backup-resumer.ts'
import { BackupScheduler } from './backup-scheduler.ts'
import { BackupSweeper } from './backup-sweeper.ts'
import { BackupVerifier } from './backup-verifier.ts'
import { BackupHolderError } from './errors.ts'
import type { BackupManifest } from './manifest.ts'

export type { BackupServiceOptions } from './backup-context.ts'
export type { RestoreSelection } from './backup-restorer.ts'

/**
 * Makes and checks the cluster's backups (docs/backup.md), as the node and its admin API see them:
 * one face over the parts that do the work, which share a BackupContext: BackupCreator (a `backup`
 * job), BackupVerifier (`verify`), BackupRestorer (`restore`), BackupRemover (`backup rm`, and
 * retention after each backup), BackupSweeper (`sweep`), BackupAuditor, BackupScheduler and
 * BackupResumer (the background loops `start` runs, each a supervised service). Holders keep
 * ciphertext only; the catalog (`backups/cluster`) lists every backup.
 */
export class BackupService {
  readonly #ctx: BackupContext
  readonly #auditor: BackupAuditor
  readonly #scheduler: BackupScheduler
  readonly #resumer: BackupResumer
  readonly #restorer: BackupRestorer
  readonly #remover: BackupRemover

  constructor (opts: BackupServiceOptions) {
    this.#ctx = new BackupContext(opts)
    this.#auditor = new BackupAuditor(this.#ctx)
    this.#scheduler = new BackupScheduler(this.#ctx, (note) => this.create(note))
    this.#resumer = new BackupResumer(this.#ctx)
    this.#restorer = new BackupRestorer(this.#ctx)
    this.#remover = new BackupRemover(this.#ctx)
  }

  /** What this node's jobs did since it started (metrics). */
  get stats (): BackupServiceStats {
    return this.#ctx.stats
  }

  /**
   * Starts the background loops (with the key only): resuming interrupted backups and restores (at
   * once, then every RESUME_CHECK_MS), audits (auditMs) and the schedule (scheduleMs).
   */
  start (): void {
    this.#resumer.start()
    this.#auditor.start()
    this.#scheduler.start()
  }

  /** Stops the loops, waiting (bounded) for a run in progress; jobs already started go on. */
  async stop (): Promise<void> {
    await Promise.all([this.#resumer.stop(), this.#auditor.stop(), this.#scheduler.stop()])
  }

  /** One audit of `sample` random chunks of the newest backup of this key (BackupAuditor). */
  async audit (sample?: number): Promise<{ checked: number, repaired: number, unmended: number }> {
    return await this.#auditor.audit(sample)
  }

  /** Resumes the backups and restores whose node stopped (BackupResumer); the jobs started. */
  async resumeInterrupted (): Promise<Job[]> {
    return await this.#resumer.resumeInterrupted()
  }

  /** The restores the catalog keeps (running, and the last ended ones), oldest first. */
  async restores (): Promise<RestoreEntry[]> {
    return await this.#ctx.catalog.restores()
  }

  /** Every backup the catalog knows, oldest first (`patient`: riding out a failover, for jobs). */
  async list (patient = false): Promise<BackupEntry[]> {
    return await this.#ctx.catalog.list(patient)
  }

  /** One backup, or UnknownBackupError. */
  async get (id: string, patient = false): Promise<BackupEntry> {
    return await this.#ctx.catalog.get(id, patient)
  }

  /** The manifest of a done backup, fetched from its holders and opened with this node's key. */
  async manifest (id: string, patient = false): Promise<BackupManifest> {
    return await this.#ctx.manifest(id, patient)
  }

  /** Starts a backup job; throws at once (nothing started) without a key or a backup holder. */
  create (note = ''): Job {
    const key = this.#ctx.requireKey()
    if (this.#ctx.holders.empty) throw new BackupHolderError('no member up holds the backup role: start a node with --role backup (or all) to keep backups')
    return BackupCreator.start(this.#ctx, key, newBackupId(), note)
  }

  /**
   * Starts a job that checks a backup: every chunk's digest on every holder that should hold it
   * (`full`: each copy read whole and its SHA-256 checked; otherwise a challenge of a fresh nonce
   * answered by each holder and compared with one read copy), against the manifest's Merkle root.
   */
  verify (id: string, full: boolean): Job {
    this.#ctx.requireKey()
    const verifier = new BackupVerifier(this.#ctx)
    return this.#ctx.opts.jobs.start('verify', id, async (control) => await verifier.verify(control, id, full))
  }

  /**
   * Starts a job that restores a backup: every entity it holds (the catalog aside), or one room or
   * one user's agent (BackupRestorer). `dryRun`: nothing is written; the job lists what would
   * change. A backup of another key is refused before anything is read or written.
   */
  restore (id: string, selection: RestoreSelection, dryRun: boolean): Job {
    return this.#restorer.start(this.#ctx.requireKey(), id, selection, dryRun)
  }

  /** Removes a backup and the chunks no other backup names (BackupRemover); the chunks removed. */
  async remove (id: string, fromRunningBackup = false): Promise<{ chunks: number, bytes: number }> {
    return await this.#remover.remove(id, fromRunningBackup)
  }

  /** Starts a job that removes the chunks no backup names (BackupSweeper); `dryRun`: counts only. */
  sweep (dryRun: boolean): Job {
    const key = this.#ctx.requireKey()
    const sweeper = new BackupSweeper(this.#ctx)
    return this.#ctx.opts.jobs.start('sweep', null, async (control) => await sweeper.sweep(control, key, dryRun))
  }
}
