import type { ActorSystem, BackupEntry } from '../../actors/index.ts'
import type { Jobs } from '../jobs/index.ts'
import type { Candidate } from '../mesh/index.ts'
import type { PartitionPeer, ReplicatedJournal, StoredRecord } from '../replication/index.ts'
import { ServiceFailures } from '../services/index.ts'
import type { ServiceLog } from '../services/index.ts'
import type { BackupKey } from './backup-key.ts'
import { serviceLogOf } from './backup-log.ts'
import type { BackupLog } from './backup-log.ts'
import { CatalogClient } from './catalog-client.ts'
import { CatalogLock } from './catalog-lock.ts'
import type { ChunkHolderClient } from './chunk-holder.ts'
import type { ChunkerOptions } from './chunker.ts'
import { BackupHolderError, NoBackupKeyError, UnknownBackupError } from './errors.ts'
import { HolderSet } from './holder-set.ts'
import { manifestRoot, openManifest } from './manifest.ts'
import type { BackupManifest } from './manifest.ts'
import type { RetentionPolicy } from './retention.ts'

/** What the backup service is given (BackupService's options; every part reads them here). */
/** What a restore applies to each entity's records before it writes them (restoreFilter). */
export interface RestoreFilter {
  records (entity: string, records: readonly StoredRecord[]): readonly StoredRecord[] | null
  /** False when `records` leaves this entity's records as they are, whatever they hold (then a
   * restore of it may read none of them: cutToBackup). Absent: it may change any. */
  touches? (entity: string): boolean
  /** Runs once the entity is restored (its hold let go), before the restore counts it done: what
   * the filter could not write (a record a replica kept because it was the backup's already) is
   * carried out again through the entity itself. A rejection fails the restore. */
  after? (entity: string): Promise<void>
}

export interface BackupServiceOptions {
  readonly system: ActorSystem
  readonly journal: ReplicatedJournal
  /** This node's peer id. */
  readonly self: string
  /** The master key (--backup-key-file); without it this node lists backups but makes none. */
  readonly key: BackupKey | undefined
  /** The members up that hold the backup role now (chunks go to `copies` of them). */
  readonly holders: () => readonly Candidate[]
  /** Copies of every chunk, on distinct holders (fewer while fewer hold the role). */
  readonly copies: number
  readonly jobs: Jobs
  /** Chunking of the partitions' streams. @default 256 KiB average */
  readonly chunker?: ChunkerOptions
  /** A partition's replica on another node (tests pass their own). @default meshPeer */
  readonly peer?: (node: string, partition: number) => PartitionPeer
  /** Which holders to ask about a chunk (tests pass their own). @default holderAt */
  readonly holder?: (node: string) => ChunkHolderClient
  /** The node that owns an entity now (a restore holds it still there). @default this node */
  readonly ownerOf?: (entity: string) => string | undefined
  /** Which done backups of this key stay after each backup this node makes. @default keep all */
  readonly retention?: RetentionPolicy
  /** Make a backup this often (ms) while none is more recent; with start(). @default never */
  readonly scheduleMs?: number
  /** Audit this often (ms): AUDIT_SAMPLE random chunks of the newest backup of this key, each
   * holder challenged and what is missing or damaged put back; with start(). @default never */
  readonly auditMs?: number
  readonly log?: BackupLog
  /** How often a running backup records a checkpoint, at most (ms). @default CHECKPOINT_MS */
  readonly checkpointMs?: number
  /** Whether a member is up (a backup its node was making while it died is not running any more).
   * @default every member counts as up */
  readonly live?: (peer: string) => boolean
  /** What every restore applies to the records it writes, loaded as it starts (node/erasure
   * ErasureFilter: the erasure log), so that a restore never brings back erased data: an entity's
   * records as they may be written, or null to leave the entity as it is now. @default none */
  readonly restoreFilter?: () => Promise<RestoreFilter>
  /** Where the backup loops (schedule, audits, resuming, the catalog lock's renewal) count their
   * failures; one per node. @default a counter of its own */
  readonly failures?: ServiceFailures
}

/** What this node's backup jobs did since it started (metrics: NodeMetrics.watchBackups). */
export interface BackupServiceStats {
  /** Unix ms when the last backup made here ended done (0: none yet). */
  lastDoneAt: number
  /** That backup's plaintext bytes, and those no earlier backup had stored. */
  lastBytes: number
  lastNewBytes: number
  /** Plaintext bytes read from partitions, and bytes of new chunks sent to holders. */
  bytesRead: number
  bytesSent: number
  /** Copies verify put back, and chunks it could not mend. */
  repairs: number
  unmended: number
  /** Entities restored. */
  restored: number
  /** Audits made. */
  audits: number
}

/**
 * What every part of the backup service shares (its components, in js-libp2p's sense): the
 * options, the catalog and its lock, the holders, the metrics, and the few reads every job makes
 * (this node's key, a done backup's manifest, whether a listed backup still runs).
 */
export class BackupContext {
  readonly opts: BackupServiceOptions
  readonly catalog: CatalogClient
  readonly holders: HolderSet
  readonly lock: CatalogLock
  readonly failures: ServiceFailures
  /** The backup log as the supervised loops log. */
  readonly serviceLog: ServiceLog
  readonly stats: BackupServiceStats = {
    lastDoneAt: 0, lastBytes: 0, lastNewBytes: 0, bytesRead: 0, bytesSent: 0, repairs: 0, unmended: 0, restored: 0, audits: 0
  }

  /** The restores (ids) this node runs now. */
  readonly restoring = new Set<string>()

  constructor (opts: BackupServiceOptions) {
    this.opts = opts
    this.catalog = new CatalogClient(opts.system)
    this.holders = new HolderSet(opts)
    this.failures = opts.failures ?? new ServiceFailures()
    this.serviceLog = serviceLogOf(opts.log)
    this.lock = new CatalogLock({ catalog: this.catalog, self: opts.self, failures: this.failures, log: this.serviceLog })
  }

  /** This node's key, or NoBackupKeyError. */
  requireKey (): BackupKey {
    if (this.opts.key === undefined) throw new NoBackupKeyError()
    return this.opts.key
  }

  /** The manifest of a done backup, fetched from its holders and opened with this node's key. */
  async manifest (id: string, patient = false): Promise<BackupManifest> {
    const key = this.requireKey()
    const entry = await this.catalog.get(id, patient)
    if (entry.state !== 'done' || entry.manifest === null || entry.root === null) throw new UnknownBackupError(id, `it is ${entry.state}, not done`)
    const sealed = await this.holders.fetch(entry.manifest.digest, entry.manifest.digest, entry.manifest.holders)
    const manifest = openManifest(key, id, sealed, entry.keyFingerprint)
    if (manifestRoot(manifest) !== entry.root) throw new BackupHolderError(`the manifest of ${id} does not give the root the catalog holds`)
    return manifest
  }

  /** Whether a backup the catalog lists as running still runs: its job here, or its node up. */
  stillRunning (b: BackupEntry): boolean {
    if (b.state !== 'running') return false
    if (b.node === this.opts.self) return this.opts.jobs.running('backup').some((j) => j.target === b.id)
    return this.opts.live?.(b.node) ?? true
  }

  /** The newest done backup of `key`, from a listing. */
  static latestOf (list: readonly BackupEntry[], key: BackupKey): BackupEntry | undefined {
    return list.filter((b) => b.state === 'done' && b.keyFingerprint === key.fingerprint).at(-1)
  }
}
