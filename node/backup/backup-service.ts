import { createHash, randomBytes, randomInt } from 'node:crypto'
import { BACKUPS, BACKUP_CATALOG_KEY } from '../../actors/index.ts'
import type { ActorSystem, BackupEntry, BackupStats, ManifestRef, RestoreEntry } from '../../actors/index.ts'
import { kindOf } from '../../protocols/index.ts'
import type { Job } from '../../protocols/index.ts'
import type { JobControl, Jobs } from '../jobs/index.ts'
import { rendezvousRanking } from '../mesh/index.ts'
import type { Candidate } from '../mesh/index.ts'
import { fenceQuorum, meshPeer, replicaPeer } from '../replication/index.ts'
import type { PartitionPeer, ReplicatedJournal, StoredRecord } from '../replication/index.ts'
import type { BackupKey } from './backup-key.ts'
import { ciphertextDigest } from './chunk-crypto.ts'
import { MAX_CHECK_CHUNKS, holderAt } from './chunk-holder.ts'
import type { ChunkHolderClient, PutChunk } from './chunk-holder.ts'
import type { ChunkerOptions } from './chunker.ts'
import { MAX_HOLDER_IDS, MAX_PUT_BYTES } from './constants.ts'
import { BackupBusyError, BackupHolderError, BackupKeyMismatchError, BackupRestoreError, NoBackupKeyError, UnknownBackupError } from './errors.ts'
import { manifestRoot, openManifest, sealManifest } from './manifest.ts'
import type { BackupManifest, ManifestChunk, ManifestPartition } from './manifest.ts'
import { readPartitionCut } from './partition-cut.ts'
import { retained } from './retention.ts'
import type { RetentionPolicy } from './retention.ts'
import { PartitionStreamWriter, chunkSpan, decodeBlock } from './partition-stream.ts'
import type { DecodedEntity, EntityBlock, SealedChunk } from './partition-stream.ts'
import { pushTo } from './push-to.ts'
import { replicaClient, rewriteJournal } from './journal-rewrite.ts'
import type { ReplicaClient } from './journal-rewrite.ts'
import { RESTORE_HOLD_PATH } from './restore-hold.ts'
import type { RestoreHoldMsg } from './restore-hold.ts'
import { openChunk } from './chunk-crypto.ts'

/** Each catalog ask. */
const CATALOG_ASK_MS = 10_000
/** How long a job's catalog ask rides out the catalog's owner failing over (a member declared
 * down, placement moving it: seconds). */
const CATALOG_PATIENCE_MS = 30_000
/** Chunks one audit checks: enough that a holder which lost 1% of its chunks is caught within a
 * few audits, few enough that an audit costs seconds. */
const AUDIT_SAMPLE = 32
/** How often a schedule looks whether a backup is due (at most: the interval, when shorter). */
const SCHEDULE_CHECK_MS = 60_000
/** A restore's hold or unhold ask of an entity's owner. */
const HOLD_ASK_MS = 20_000
/** Partitions a backup reads at once. */
const PARTITIONS_AT_ONCE = 4
/** Entities a restore rewrites at once (each a hold, a fence and writes on every replica). */
const RESTORE_CONCURRENCY = 16
/** Rewrites of one entity tried before a restore fails (an activation raced each one). */
const REWRITE_TRIES = 3
/** Chunks a full verify checks at once. */
const VERIFY_CONCURRENCY = 8
/** Bytes of chunks one holder re-reads for one check ask (well within HOLDER_ASK_MS on a slow disk). */
const CHECK_BATCH_BYTES = 64 * 1_048_576
/** Puts one backup keeps in flight to its holders at once. */
const PUTS_IN_FLIGHT = 4
/** A running backup records how far it got at most this often (a sealed partial manifest on the
 * holders, its place in the catalog): what a resumed backup does not do again. */
const CHECKPOINT_MS = 2_000
/** The catalog's lock is taken for this long, and renewed at a third of it while its work runs. */
const LOCK_MS = 10 * 60_000
/** How often a node holding the key looks for backups whose node is down, to resume them. */
const RESUME_CHECK_MS = 30_000

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
  readonly log?: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
  /** How often a running backup records a checkpoint, at most (ms). @default CHECKPOINT_MS */
  readonly checkpointMs?: number
  /** Whether a member is up (a backup its node was making while it died is not running any more).
   * @default every member counts as up */
  readonly live?: (peer: string) => boolean
}

/** What a restore takes back: everything, one room, or one user's agent. */
export interface RestoreSelection {
  readonly room?: string
  readonly user?: string
  /** Only the entities the backup holds a record of at or after this time (Unix ms, by the
   * events' own `ts`): what changed since then, as the backup saw it. */
  readonly since?: number
}

/**
 * Makes and checks the cluster's backups (docs/backup.md): a `backup` job reads every partition at
 * a cut (readPartitionCut), writes each as a stream of entity blocks cut into content-defined
 * chunks sealed under the master key (chunks an earlier backup stored and its holders still hold
 * are named, not sent again), puts each chunk on `copies` backup-role members by rendezvous
 * hashing of its id, then seals the manifest (what is where, and the Merkle root over every
 * chunk) and stores it the same way; the catalog (`backups/cluster`) lists it. Holders keep
 * ciphertext only.
 */
export class BackupService {
  readonly #opts: BackupServiceOptions
  /** What this node's jobs did since it started (metrics). */
  readonly stats = {
    /** Unix ms when the last backup made here ended done (0: none yet). */
    lastDoneAt: 0,
    /** That backup's plaintext bytes, and those no earlier backup had stored. */
    lastBytes: 0,
    lastNewBytes: 0,
    /** Plaintext bytes read from partitions, and bytes of new chunks sent to holders. */
    bytesRead: 0,
    bytesSent: 0,
    /** Copies verify put back, and chunks it could not mend. */
    repairs: 0,
    unmended: 0,
    /** Entities restored. */
    restored: 0,
    /** Audits made. */
    audits: 0
  }

  #timer: ReturnType<typeof setTimeout> | undefined

  constructor (opts: BackupServiceOptions) {
    this.#opts = opts
  }

  /**
   * Starts the schedule (scheduleMs): at each tick, when this node holds the key, a member holds
   * the backup role, no backup runs and none (made by any node) started within the interval, it
   * starts one. Several nodes holding the key and a schedule make about one backup an interval.
   */
  start (): void {
    // jobs live in memory: a backup this node was making when it stopped has ended with it, and
    // goes on here from its checkpoint (only a node holding the key makes backups); one whose node
    // is down is taken over by a node holding the key
    if (this.#opts.key !== undefined && this.#resumeTimer === undefined) {
      const check = (): void => {
        void this.resumeInterrupted().catch((err: unknown) => {
          this.#opts.log?.warn({ err }, `interrupted backups not resumed: ${(err as Error).message}`)
        }).finally(() => {
          if (this.#resumeTimer !== undefined) this.#resumeTimer = setTimeout(check, RESUME_CHECK_MS).unref()
        })
      }
      this.#resumeTimer = setTimeout(check, 0).unref()
    }
    this.#startAudits()
    const every = this.#opts.scheduleMs
    if (every === undefined || this.#opts.key === undefined || this.#timer !== undefined) return
    const tick = (): void => {
      void this.#scheduled(every).catch((err: unknown) => {
        this.#opts.log?.warn({ err }, `scheduled backup not started: ${(err as Error).message}`)
      }).finally(() => {
        if (this.#timer !== undefined) this.#timer = setTimeout(tick, Math.min(every, SCHEDULE_CHECK_MS)).unref()
      })
    }
    this.#timer = setTimeout(tick, Math.min(every, SCHEDULE_CHECK_MS)).unref()
  }

  stop (): void {
    clearTimeout(this.#resumeTimer)
    this.#resumeTimer = undefined
    clearTimeout(this.#timer)
    this.#timer = undefined
    clearTimeout(this.#auditTimer)
    this.#auditTimer = undefined
  }

  #auditTimer: ReturnType<typeof setTimeout> | undefined
  #resumeTimer: ReturnType<typeof setTimeout> | undefined
  /** The restores (ids) this node runs now. */
  readonly #restoring = new Set<string>()

  #startAudits (): void {
    const every = this.#opts.auditMs
    if (every === undefined || this.#opts.key === undefined || this.#auditTimer !== undefined) return
    const tick = (): void => {
      void this.audit().catch((err: unknown) => {
        this.#opts.log?.warn({ err }, `backup audit not made: ${(err as Error).message}`)
      }).finally(() => {
        if (this.#auditTimer !== undefined) this.#auditTimer = setTimeout(tick, every).unref()
      })
    }
    this.#auditTimer = setTimeout(tick, every).unref()
  }

  /**
   * One audit: `sample` chunks drawn at random from the newest done backup of this node's key; each
   * is read from one holder and the others challenged with a fresh nonce, and a copy missing or
   * damaged is put back (as verify does, on a sample). Counted in the metrics; what could not be
   * mended is logged. Resolves with what it found.
   */
  async audit (sample = AUDIT_SAMPLE): Promise<{ checked: number, repaired: number, unmended: number }> {
    const key = this.#requireKey()
    const latest = (await this.list()).filter((b) => b.state === 'done' && b.keyFingerprint === key.fingerprint).at(-1)
    if (latest === undefined || this.#opts.holders().length === 0) return { checked: 0, repaired: 0, unmended: 0 }
    const manifest = await this.manifest(latest.id)
    const chunks = [...new Map(manifest.partitions.flatMap((p) => p.chunks.map((c) => [c.id, c] as const))).values()]
    // a partial Fisher-Yates shuffle: `sample` distinct chunks, each as likely as any other
    for (let i = 0; i < Math.min(sample, chunks.length); i++) {
      const j = i + randomInt(chunks.length - i)
      ;[chunks[i], chunks[j]] = [chunks[j] as ManifestChunk, chunks[i] as ManifestChunk]
    }
    let repaired = 0
    let unmended = 0
    const picked = chunks.slice(0, sample)
    for (const chunk of picked) {
      const result = await this.#checkChunk(chunk)
      repaired += result.repaired
      if (result.unmended) {
        unmended++
        this.#opts.log?.warn({ backup: latest.id, chunk: chunk.id }, `backup audit: chunk ${chunk.id} of ${latest.id} is not whole on every holder: ${result.found.join('; ')}`)
      }
    }
    this.stats.audits++
    this.stats.repairs += repaired
    this.stats.unmended += unmended
    if (repaired > 0) this.#opts.log?.info({ backup: latest.id, repaired }, `backup audit: ${repaired} missing or damaged chunk cop${repaired === 1 ? 'y' : 'ies'} of ${latest.id} put back`)
    return { checked: picked.length, repaired, unmended }
  }

  /**
   * Resumes the backups that stopped with their node: this node's own that no job here runs (it
   * restarted), and, when `live` says so, another node's whose node is down. Each goes on from its
   * checkpoint under the same id, as a new job here (the catalog's compare-and-set makes one node
   * take it when several try). A backup of another key is marked failed when it is this node's, and
   * left to a node holding its key otherwise. Resolves with the jobs started.
   */
  async resumeInterrupted (): Promise<Job[]> {
    const key = this.#requireKey()
    const started: Job[] = []
    for (const b of await this.list(true)) {
      if (b.state !== 'running' || this.#stillRunning(b)) continue
      if (b.keyFingerprint !== key.fingerprint) {
        if (b.node !== this.#opts.self) continue
        await this.#catalog({ type: 'fail', id: b.id, error: `interrupted: the node making it stopped, and now holds key ${key.fingerprint}, not ${b.keyFingerprint}; start a new backup`, ts: Date.now() }, true)
        continue
      }
      try {
        started.push(await this.#resume(key, b))
      } catch (err) {
        this.#opts.log?.warn({ err, backup: b.id }, `backup ${b.id} not resumed: ${(err as Error).message}`)
      }
    }
    for (const r of await this.#catalog<RestoreEntry[]>({ type: 'list-restores' }, true)) {
      if (r.state !== 'running') continue
      const stopped = r.node === this.#opts.self ? !this.#restoring.has(r.id) : this.#opts.live?.(r.node) === false
      if (!stopped) continue
      try {
        await this.#catalog({ type: 'restore-resume', id: r.id, from: r.node, node: this.#opts.self, ts: Date.now() }, true)
        const job = this.#opts.jobs.start('restore', r.backup, async (control) => await this.#restore(control, key, r.backup, r.selection, false, { id: r.id, cursor: r.cursor }))
        this.#opts.log?.info({ restore: r.id, backup: r.backup, job: job.id }, `restore ${r.id} of ${r.backup} resumed at entity ${r.cursor + 1} of ${r.total}${r.node === this.#opts.self ? '' : ` from ${r.node}, which is down`} (${job.id})`)
        started.push(job)
      } catch (err) {
        this.#opts.log?.warn({ err, restore: r.id }, `restore ${r.id} not resumed: ${(err as Error).message}`)
      }
    }
    return started
  }

  /** The restores the catalog keeps (running, and the last ended ones), oldest first. */
  async restores (): Promise<RestoreEntry[]> {
    return await this.#catalog<RestoreEntry[]>({ type: 'list-restores' })
  }

  async #resume (key: BackupKey, b: BackupEntry): Promise<Job> {
    // the checkpoint first: a backup whose checkpoint no holder serves starts over, as a new one would
    let from: BackupManifest | undefined
    if (b.checkpoint != null) {
      from = await this.#fetch(b.checkpoint.digest, b.checkpoint.digest, b.checkpoint.holders).then((sealed) => openManifest(key, b.id, sealed, b.keyFingerprint), (err: unknown) => {
        this.#opts.log?.warn({ err, backup: b.id }, `backup ${b.id}: its checkpoint could not be read (${(err as Error).message}); it starts over`)
        return undefined
      })
    }
    await this.#catalog({ type: 'resume', id: b.id, from: b.node, node: this.#opts.self, ts: Date.now() }, true)
    const job = this.#opts.jobs.start('backup', b.id, async (control) => await this.#create(control, key, b.id, b.note, { from, checkpoint: b.checkpoint ?? null }))
    this.#opts.log?.info({ backup: b.id, job: job.id, partitions: from?.partitions.length ?? 0 }, `backup ${b.id} resumed${b.node === this.#opts.self ? '' : ` from ${b.node}, which is down`} (${job.id}), from a checkpoint of ${from?.partitions.length ?? 0} partitions`)
    return job
  }

  /** Whether a backup the catalog lists as running still runs: its job here, or its node up. */
  #stillRunning (b: BackupEntry): boolean {
    if (b.state !== 'running') return false
    if (b.node === this.#opts.self) return this.#opts.jobs.running('backup').some((j) => j.target === b.id)
    return this.#opts.live?.(b.node) ?? true
  }

  async #scheduled (every: number): Promise<void> {
    if (this.#opts.holders().length === 0 || this.#opts.jobs.running('backup').length > 0) return
    const list = await this.list()
    const last = Math.max(0, ...list.filter((b) => b.state === 'done' || this.#stillRunning(b)).map((b) => b.startedAt))
    if (list.some((b) => this.#stillRunning(b)) || Date.now() - last < every) return
    const job = this.create('scheduled')
    this.#opts.log?.info({ job: job.id }, `scheduled backup ${job.target ?? ''} started (${job.id})`)
  }

  /** Every backup the catalog knows, oldest first (`patient`: riding out a failover, for jobs). */
  async list (patient = false): Promise<BackupEntry[]> {
    // entries written before checkpoints existed lack these
    return (await this.#catalog<BackupEntry[]>({ type: 'list' }, patient)).map((b) => ({ ...b, checkpoint: b.checkpoint ?? null, resumed: b.resumed ?? 0 }))
  }

  /** One backup, or UnknownBackupError. */
  async get (id: string, patient = false): Promise<BackupEntry> {
    const entry = (await this.list(patient)).find((b) => b.id === id)
    if (entry === undefined) throw new UnknownBackupError(id)
    return entry
  }

  /** Starts a backup job; throws at once (nothing started) without a key or a backup holder. */
  create (note = ''): Job {
    const key = this.#requireKey()
    if (this.#opts.holders().length === 0) throw new BackupHolderError('no member up holds the backup role: start a node with --role backup (or all) to keep backups')
    const id = newBackupId()
    return this.#opts.jobs.start('backup', id, async (control) => await this.#create(control, key, id, note))
  }

  /**
   * Starts a job that checks a backup: every chunk's digest on every holder that should hold it
   * (`full`: each copy read whole and its SHA-256 checked; otherwise a challenge of a fresh nonce
   * answered by each holder and compared with one read copy), against the manifest's Merkle root.
   */
  verify (id: string, full: boolean): Job {
    const key = this.#requireKey()
    return this.#opts.jobs.start('verify', id, async (control) => await this.#verify(control, key, id, full))
  }

  /**
   * Starts a job that restores a backup: every entity it holds (the catalog aside), or one room
   * (`room/<room>`) or one user's agent (`agent/<user>`). Each entity's journal becomes the backup's
   * records (rewriteJournal), with the entity held still on its owner meanwhile; what was written
   * after the backup goes. `dryRun`: nothing is written; the job lists what would change. A backup
   * of another key is refused before anything is read or written.
   */
  restore (id: string, selection: RestoreSelection, dryRun: boolean): Job {
    const key = this.#requireKey()
    return this.#opts.jobs.start('restore', id, async (control) => await this.#restore(control, key, id, selection, dryRun))
  }

  /**
   * Removes a backup: the chunks no other backup of the same key names are removed from every
   * holder (chunk ids are keyed, so another key's backups never name them), then its manifest, then
   * its catalog entry. Refused while a backup runs (it may be naming these chunks as stored). A
   * failed backup has no manifest: only its entry goes (the chunks it stored stay until a backup
   * that names them is removed). Resolves with the chunks removed.
   */
  async remove (id: string, fromRunningBackup = false): Promise<{ chunks: number, bytes: number }> {
    return await this.#locked(fromRunningBackup, async () => await this.#remove(id, fromRunningBackup))
  }

  async #remove (id: string, fromRunningBackup: boolean): Promise<{ chunks: number, bytes: number }> {
    const entry = await this.get(id, fromRunningBackup)
    const all = await this.list(fromRunningBackup)
    // the backup that prunes after itself is done already: only another one running holds it back
    // (one whose node died, or that this node's stop ended, runs no more)
    const running = all.find((b) => b.id !== id && this.#stillRunning(b))
    if (running !== undefined || this.#stillRunning(entry)) throw new BackupBusyError(`backup ${running?.id ?? id} is running: remove backups once it has ended`)
    let removed = { chunks: 0, bytes: 0 }
    if (entry.state === 'done' && entry.manifest !== null) {
      const key = this.#requireKey()
      if (entry.keyFingerprint !== key.fingerprint) throw new BackupKeyMismatchError(id, entry.keyFingerprint, key.fingerprint)
      const doomed = new Map((await this.manifest(id)).partitions.flatMap((p) => p.chunks.map((c) => [c.id, c.size] as const)))
      for (const other of all.filter((b) => b.id !== id && b.state === 'done' && b.keyFingerprint === key.fingerprint)) {
        for (const p of (await this.manifest(other.id)).partitions) for (const c of p.chunks) doomed.delete(c.id)
      }
      const ids = [...doomed.keys(), entry.manifest.digest]
      const holder = (node: string): ChunkHolderClient => this.#holder(node)
      // every holder: copies may sit beyond their ranking (a holder passed over, a member since gone)
      for (const { peerId } of this.#opts.holders()) {
        for (let i = 0; i < ids.length; i += MAX_HOLDER_IDS) await holder(peerId).remove(ids.slice(i, i + MAX_HOLDER_IDS))
      }
      removed = { chunks: doomed.size, bytes: [...doomed.values()].reduce((n, s) => n + s, 0) }
    }
    if (entry.checkpoint != null) await this.#dropBlob(entry.checkpoint)
    await this.#catalog({ type: 'remove', id })
    return removed
  }

  /**
   * Starts a job that removes orphan chunks: what holders keep that no backup names (the chunks a
   * failed backup stored, a checkpoint left behind). Named are the chunks and manifests of every
   * done backup, and the chunks and checkpoint of a backup that may still be resumed. Under the
   * catalog's lock, and refused while a backup runs, or while backups of another key exist (their
   * chunks cannot be told from orphans without that key). `dryRun`: counts, removes nothing.
   */
  sweep (dryRun: boolean): Job {
    const key = this.#requireKey()
    return this.#opts.jobs.start('sweep', null, async (control) => await this.#locked(true, async () => await this.#sweep(control, key, dryRun)))
  }

  async #sweep (control: JobControl, key: BackupKey, dryRun: boolean): Promise<string> {
    const all = await this.list(true)
    const running = all.find((b) => this.#stillRunning(b))
    if (running !== undefined) throw new BackupBusyError(`backup ${running.id} is running: sweep once it has ended`)
    // a done backup of another key, or one of another key its node may still resume
    const foreign = all.find((b) => b.state !== 'failed' && b.keyFingerprint !== key.fingerprint)
    if (foreign !== undefined) throw new BackupBusyError(`backup ${foreign.id} was made with backup key ${foreign.keyFingerprint}, not this node's ${key.fingerprint}: its chunks cannot be told from orphans without its key (remove the backups of other keys first)`)
    control.progress({ message: `reading the manifests of ${all.filter((b) => b.state === 'done').length} backups` })
    const named = new Set<string>()
    for (const b of all) {
      if (b.state === 'done' && b.manifest !== null) {
        named.add(b.manifest.digest)
        for (const p of (await this.manifest(b.id, true)).partitions) for (const c of p.chunks) named.add(c.id)
      }
      // a backup whose node stopped may still be resumed from its checkpoint
      if (b.state === 'running' && b.checkpoint != null) {
        named.add(b.checkpoint.digest)
        const sealed = await this.#fetch(b.checkpoint.digest, b.checkpoint.digest, b.checkpoint.holders).catch(() => undefined)
        if (sealed !== undefined) for (const p of openManifest(key, b.id, sealed, b.keyFingerprint).partitions) for (const c of p.chunks) named.add(c.id)
      }
    }
    const holders = this.#opts.holders().map((c) => c.peerId)
    control.progress({ total: holders.length, done: 0, message: `${named.size} chunks named; listing ${holders.length} holders` })
    let orphans = 0
    const unreachable: Array<{ item: string, why: string }> = []
    for (const [i, node] of holders.entries()) {
      try {
        let after = ''
        for (;;) {
          control.signal.throwIfAborted()
          const page = await this.#holder(node).list(after, MAX_HOLDER_IDS)
          const doomed = page.filter((id) => !named.has(id))
          orphans += doomed.length
          if (!dryRun && doomed.length > 0) await this.#holder(node).remove(doomed)
          if (page.length < MAX_HOLDER_IDS) break
          after = page.at(-1) as string
        }
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err
        unreachable.push({ item: node, why: `not swept: ${(err as Error).message}`.slice(0, 256) })
      }
      control.progress({ done: i + 1, left: unreachable })
    }
    const what = `${orphans} orphan chunk${orphans === 1 ? '' : 's'} on ${holders.length - unreachable.length} holder${holders.length - unreachable.length === 1 ? '' : 's'}`
    return `${dryRun ? `dry run: ${what} would be removed; nothing was` : `${what} removed`}${unreachable.length > 0 ? `; ${unreachable.length} holder(s) not swept (listed in left)` : ''}`
  }

  /**
   * Runs `work` holding the catalog's lock (no backup begins or resumes meanwhile), renewed while it
   * runs and given back after. BackupBusyError when another node holds it.
   */
  async #locked<T> (patient: boolean, work: () => Promise<T>): Promise<T> {
    const owner = `${this.#opts.self}#${randomBytes(3).toString('hex')}`
    const take = async (): Promise<void> => {
      const now = Date.now()
      await this.#catalog({ type: 'lock', node: owner, until: now + LOCK_MS, ts: now }, patient).catch((err: unknown) => {
        throw (err as Error).name === 'BackupCatalogError' ? new BackupBusyError((err as Error).message) : err
      })
    }
    await take()
    const renew = setInterval(() => { void take().catch(() => undefined) }, LOCK_MS / 3)
    try {
      return await work()
    } finally {
      clearInterval(renew)
      await this.#catalog({ type: 'unlock', node: owner }, true).catch(() => undefined)
    }
  }

  /** The manifest of a done backup, fetched from its holders and opened with this node's key. */
  async manifest (id: string, patient = false): Promise<BackupManifest> {
    const key = this.#requireKey()
    const entry = await this.get(id, patient)
    if (entry.state !== 'done' || entry.manifest === null || entry.root === null) throw new UnknownBackupError(id, `it is ${entry.state}, not done`)
    const sealed = await this.#fetch(entry.manifest.digest, entry.manifest.digest, entry.manifest.holders)
    const manifest = openManifest(key, id, sealed, entry.keyFingerprint)
    if (manifestRoot(manifest) !== entry.root) throw new BackupHolderError(`the manifest of ${id} does not give the root the catalog holds`)
    return manifest
  }

  async #create (control: JobControl, key: BackupKey, id: string, note: string, resume?: { from: BackupManifest | undefined, checkpoint: ManifestRef | null }): Promise<string> {
    const { journal, system, self } = this.#opts
    if (resume === undefined) await this.#catalog({ type: 'begin', id, note, keyFingerprint: key.fingerprint, node: self, ts: Date.now() }, true)
    let lastCheckpoint = resume?.checkpoint ?? null
    try {
      const { known, previous } = await this.#knownChunks(key)
      // each acknowledged put may complete a partition: a checkpoint looks (at most so often)
      const uploader = new Uploader(this.#opts, control.signal, (node) => this.#holder(node), () => { checkpoint() })
      const partitions: ManifestPartition[] = []
      const stats = { partitions: 0, entities: 0, records: 0, bytes: 0, chunks: 0, newChunks: 0, newBytes: 0 }
      const total = journal.partitions
      const results: Array<ManifestPartition | undefined> = []
      let partitionsDone = 0
      let partitionsReused = 0
      // a resumed backup: the partitions its checkpoint holds are done (their chunks were
      // acknowledged before it was recorded); the others are read now, at a cut of their own
      const fromCheckpoint = new Set<number>()
      const empty = new Set<number>()
      if (resume?.from !== undefined && resume.from.partitionCount === total) {
        for (const part of resume.from.partitions) {
          results[part.partition] = part
          fromCheckpoint.add(part.partition)
          for (const c of part.chunks) known.set(c.id, c.digest)
          stats.partitions++
          stats.entities += part.blocks.length
          stats.records += part.blocks.reduce((n, b) => n + b.head, 0)
          stats.bytes += part.blocks.reduce((n, b) => n + b.length, 0)
          stats.chunks += part.chunks.length
        }
      }
      control.progress({ total, done: fromCheckpoint.size, message: fromCheckpoint.size > 0 ? `resumed: ${fromCheckpoint.size} partitions done before, reading ${total - fromCheckpoint.size}` : `reading ${total} partitions` })
      partitionsDone = fromCheckpoint.size
      // the checkpoint: what is done and wholly acknowledged, sealed like a manifest, recorded in
      // the catalog at most every CHECKPOINT_MS, never two at once
      let checkpointing: Promise<void> | undefined
      let checkpointAt = Date.now()
      let fenced: unknown
      const checkpoint = (): void => {
        if (checkpointing !== undefined || Date.now() - checkpointAt < (this.#opts.checkpointMs ?? CHECKPOINT_MS)) return
        const ready = results.filter((r): r is ManifestPartition => r !== undefined && r.chunks.every((c) => uploader.acked(c.id)))
        const doneBefore = new Set([...fromCheckpoint, ...empty])
        if (ready.length === 0 || ready.every((r) => doneBefore.has(r.partition))) return
        checkpointAt = Date.now()
        checkpointing = (async () => {
          const partial: BackupManifest = { format: 1, id, createdAt: new Date().toISOString(), note, keyFingerprint: key.fingerprint, partitionCount: total, partitions: ready }
          const sealed = sealManifest(key, partial)
          const digest = ciphertextDigest(sealed)
          const holders = await uploader.putNow({ id: digest, digest, sealed })
          try {
            await this.#catalog({ type: 'checkpoint', id, checkpoint: { digest, bytes: sealed.byteLength, holders }, node: self, ts: Date.now() }, true)
          } catch (err) {
            // another node took this backup over (this one was thought down): it must stop here
            if ((err as Error).name === 'BackupCatalogError') fenced ??= err
            throw err
          }
          const old = lastCheckpoint
          lastCheckpoint = { digest, bytes: sealed.byteLength, holders }
          if (old !== null) await this.#dropBlob(old)
        })().catch((err: unknown) => {
          this.#opts.log?.warn({ err, backup: id }, `backup ${id}: checkpoint not recorded: ${(err as Error).message}`)
        }).finally(() => { checkpointing = undefined })
      }
      const backUp = async (p: number): Promise<void> => {
        control.signal.throwIfAborted()
        if (fenced !== undefined) throw fenced
        if (fromCheckpoint.has(p)) return
        const { replicas, writeQuorum } = journal.placement(p)
        const peer = this.#opts.peer ?? ((node: string, partition: number) => meshPeer(system, node, partition, journal.partitions))
        const peers = new Map(replicas.map((node) => [node, node === self ? replicaPeer(p, journal.storage, journal.core(p)) : peer(node, p)]))
        const writer = new PartitionStreamWriter(key, this.#opts.chunker, known)
        const chunks: ManifestChunk[] = []
        const take = async (sealed: SealedChunk[]): Promise<void> => {
          for (const c of sealed) {
            chunks.push({ id: c.id, size: c.size, digest: c.digest })
            if (c.sealed !== undefined) {
              stats.newChunks++
              stats.newBytes += c.size
              await uploader.add({ id: c.id, digest: c.digest, sealed: c.sealed })
            }
          }
        }
        // a partition whose entities all end where they did in the previous backup, whose chunks
        // are all still held, is that backup's: nothing of it is read again
        const before = previous?.partitions.find((x) => x.partition === p)
        let reused = false
        const unchanged = (cut: ReadonlyMap<string, { head: number, headEpoch: number }>): boolean => {
          reused = before !== undefined && before.blocks.length === cut.size &&
            before.blocks.every((b) => cut.get(b.entity)?.head === b.head && cut.get(b.entity)?.headEpoch === b.headEpoch) &&
            before.chunks.every((c) => known.get(c.id) === c.digest)
          return reused
        }
        const cuts = readPartitionCut(p, peers, { quorum: fenceQuorum(replicas.length, writeQuorum), signal: control.signal, skip: isCatalog, prefer: self, unchanged })
        for await (const cut of cuts) {
          stats.entities++
          stats.records += cut.head
          await take(writer.add(cut))
        }
        if (reused && before !== undefined) {
          results[p] = before
          partitionsReused++
          stats.partitions++
          stats.entities += before.blocks.length
          stats.records += before.blocks.reduce((n, b) => n + b.head, 0)
          stats.bytes += before.blocks.reduce((n, b) => n + b.length, 0)
          stats.chunks += before.chunks.length
          control.progress({ done: ++partitionsDone })
          checkpoint()
          return
        }
        const end = writer.finish()
        await take(end.chunks)
        if (end.blocks.length > 0) {
          results[p] = { partition: p, chunks, blocks: end.blocks }
          stats.partitions++
          stats.bytes += end.bytes
          stats.chunks += chunks.length
        } else {
          empty.add(p)
        }
        control.progress({ done: ++partitionsDone, message: `${stats.entities} entities, ${mib(stats.bytes)} read, ${mib(stats.newBytes)} new` })
        // its last chunks go now rather than with the next partitions': it is done once they are acknowledged
        await uploader.send()
        checkpoint()
      }
      // a few partitions at once: each waits on its replicas' answers much of the time
      let next = 0
      await Promise.all(Array.from({ length: Math.min(PARTITIONS_AT_ONCE, total) }, async () => {
        while (next < total) await backUp(next++)
      }))
      partitions.push(...results.filter((r): r is ManifestPartition => r !== undefined))
      await uploader.flush()
      await checkpointing
      if (fenced !== undefined) throw fenced
      const manifest: BackupManifest = {
        format: 1, id, createdAt: new Date().toISOString(), note, keyFingerprint: key.fingerprint, partitionCount: total, partitions
      }
      const sealed = sealManifest(key, manifest)
      const digest = ciphertextDigest(sealed)
      const holders = await uploader.putNow({ id: digest, digest, sealed })
      const root = manifestRoot(manifest)
      const done: BackupStats = stats
      Object.assign(this.stats, { lastDoneAt: Date.now(), lastBytes: stats.bytes, lastNewBytes: stats.newBytes })
      this.stats.bytesRead += stats.bytes
      this.stats.bytesSent += stats.newBytes
      await this.#catalog({ type: 'complete', id, root, manifest: { digest, bytes: sealed.byteLength, holders }, stats: done, ts: Date.now(), node: self }, true)
      if (lastCheckpoint !== null) await this.#dropBlob(lastCheckpoint)
      const pruned = await this.#applyRetention(key).catch((err: unknown) => {
        this.#opts.log?.warn({ err }, `backup ${id} done, but retention could not prune: ${(err as Error).message}`)
        return [] as string[]
      })
      return `${pruned.length > 0 ? `retention removed ${pruned.join(', ')}; ` : ''}backup ${id}: ${stats.entities} entities in ${stats.partitions} partitions, ${mib(stats.bytes)} in ${stats.chunks} chunks, ` +
        `${stats.newChunks} new (${mib(stats.newBytes)}) on ${this.#copies()} holder(s) each` +
        `${partitionsReused > 0 ? `; ${partitionsReused} partitions unchanged since ${previous?.id ?? 'the last backup'}, not read again` : ''}` +
        `${fromCheckpoint.size > 0 ? `; resumed, ${fromCheckpoint.size} partitions taken from its checkpoint` : ''}; root ${root.slice(0, 16)}`
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      this.#opts.log?.warn({ err, backup: id }, `backup ${id} failed: ${why}`)
      await this.#catalog({ type: 'fail', id, error: why.slice(0, 2_000), ts: Date.now(), node: self }, true).catch(() => undefined)
      throw err
    }
  }

  async #restore (control: JobControl, key: BackupKey, id: string, selection: RestoreSelection, dryRun: boolean, resume?: { id: string, cursor: number }): Promise<string> {
    const { self } = this.#opts
    const manifest = await this.manifest(id, true)
    const wanted = selection.room !== undefined ? `room/${selection.room}` : selection.user !== undefined ? `agent/${selection.user}` : undefined
    const chosen = manifest.partitions.flatMap((p) => p.blocks.filter((b) => wanted === undefined || b.entity === wanted).map((block) => ({ p, block })))
    if (chosen.length === 0) throw new UnknownBackupError(id, wanted === undefined ? 'it holds no entities' : `it holds no ${wanted}`)
    // a restore that writes is kept in the catalog, with how far it got: a node that starts again,
    // or one holding the key while its node is down, goes on from there
    const rid = resume?.id ?? newRestoreId()
    const start = Math.min(resume?.cursor ?? 0, chosen.length)
    if (!dryRun && resume === undefined) {
      const record: RestoreSelection = { ...selection.room !== undefined && { room: selection.room }, ...selection.user !== undefined && { user: selection.user }, ...selection.since !== undefined && { since: selection.since } }
      await this.#catalog({ type: 'restore-begin', id: rid, backup: id, selection: record, total: chosen.length, node: self, ts: Date.now() }, true)
    }
    if (!dryRun) this.#restoring.add(rid)
    const completed = new Uint8Array(chosen.length).fill(1, 0, start)
    let cursor = start
    let recorded = start
    let recording: Promise<void> | undefined
    let recordedAt = Date.now()
    let fenced: unknown
    const complete = (i: number): void => {
      completed[i] = 1
      while (cursor < chosen.length && completed[cursor] === 1) cursor++
      if (dryRun || recording !== undefined || cursor === recorded || Date.now() - recordedAt < (this.#opts.checkpointMs ?? CHECKPOINT_MS)) return
      recordedAt = Date.now()
      const at = cursor
      recording = this.#catalog({ type: 'restore-progress', id: rid, cursor: at, node: self }, true).then(() => { recorded = at }, (err: unknown) => {
        if ((err as Error).name === 'BackupCatalogError') fenced ??= err
        this.#opts.log?.warn({ err, restore: rid }, `restore ${rid}: progress not recorded: ${(err as Error).message}`)
      }).finally(() => { recording = undefined })
    }
    try {
      const summary = await this.#restoreChosen(control, key, id, selection, dryRun, chosen, start, complete, () => fenced)
      await recording
      if (!dryRun) await this.#catalog({ type: 'restore-end', id: rid, error: null, node: self, ts: Date.now() }, true)
      return `${summary}${start > 0 ? `; resumed at entity ${start + 1} of ${chosen.length} (restore ${rid})` : ''}`
    } catch (err) {
      await recording
      if (!dryRun && fenced === undefined) {
        const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
        await this.#catalog({ type: 'restore-end', id: rid, error: why.slice(0, 2_000), node: self, ts: Date.now() }, true).catch(() => undefined)
      }
      throw err
    } finally {
      this.#restoring.delete(rid)
    }
  }

  async #restoreChosen (
    control: JobControl, key: BackupKey, id: string, selection: RestoreSelection, dryRun: boolean,
    chosen: ReadonlyArray<{ p: ManifestPartition, block: EntityBlock }>, start: number, complete: (i: number) => void, fenced: () => unknown
  ): Promise<string> {
    const { journal, system, self } = this.#opts
    control.progress({ total: chosen.length, done: start, message: `${dryRun ? 'comparing' : 'restoring'} ${chosen.length - start} entities from ${id}` })
    const changes: Array<{ item: string, why: string }> = []
    let records = 0
    let dropped = 0
    let written = 0
    let done = start
    let restoredHere = 0
    const inFlight = new Set<Promise<void>>()
    let failure: unknown
    const plain = new Map<string, Buffer>()
    for (let i = start; i < chosen.length; i++) {
      const { p, block } = chosen[i] as { p: ManifestPartition, block: EntityBlock }
      control.signal.throwIfAborted()
      if (fenced() !== undefined) throw fenced()
      const decoded = await this.#readBlock(key, p, block, plain)
      if (selection.since !== undefined && !decoded.records.some((r) => eventTime(r.event) >= (selection.since as number))) {
        done++
        complete(i)
        control.progress({ done })
        continue
      }
      const { replicas } = journal.placement(p.partition)
      const clients = new Map(replicas.map((node) => [node, replicaClient(system, journal, self, node, p.partition)]))
      if (dryRun) {
        // the replicas that answer say what is there; one that does not would make the restore fail
        const heads = await Promise.all([...clients.values()].map(async (c) => await c({ op: 'summary', entity: block.entity }).then((s) => s.head, () => undefined)))
        const answered = heads.filter((h): h is number => h !== undefined)
        const now = Math.max(0, ...answered)
        const why = now === decoded.head ? `${now} records now and in the backup: rewritten as the backup's`
          : now > decoded.head ? `${now} records now, ${decoded.head} in the backup: the ${now - decoded.head} written since would go`
            : `${now} records now, ${decoded.head} in the backup: ${decoded.head - now} would come back`
        const down = heads.length - answered.length
        changes.push({ item: block.entity, why: down === 0 ? why : `${why}; ${down} of its ${heads.length} replicas did not answer, and a restore needs them all` })
      } else {
        // blocks are read in order (a chunk serves its neighbours), rewritten several at a time
        while (inFlight.size >= RESTORE_CONCURRENCY) await Promise.race(inFlight)
        if (failure !== undefined) throw failure
        const slash = block.entity.indexOf('/')
        const state = (): unknown => system.foldState(block.entity.slice(0, slash), block.entity.slice(slash + 1), decoded.records)
        const rewrite = this.#rewriteHeld(block.entity, decoded.records, state, clients, `restore-${id}`).then((result) => {
          dropped += Math.max(0, result.dropped)
          written += result.written
          this.stats.restored++
          restoredHere++
          done++
          complete(i)
          control.progress({ done, message: `${done} of ${chosen.length} entities restored` })
        }, (err: unknown) => { failure ??= err })
        inFlight.add(rewrite)
        void rewrite.finally(() => { inFlight.delete(rewrite) })
        records += decoded.head
        continue
      }
      records += decoded.head
      done++
      complete(i)
      control.progress({ done, left: changes.slice(0, 50), message: `${done} of ${chosen.length} entities compared` })
    }
    await Promise.all(inFlight)
    if (failure !== undefined) throw failure
    const taken = dryRun ? changes.length : restoredHere
    if (selection.since !== undefined && taken === 0 && start === 0) throw new UnknownBackupError(id, `it holds no entity changed at or after ${new Date(selection.since).toISOString()}`)
    if (dryRun) return `dry run of ${id}: ${taken} entities (${records} records) would be restored; nothing was written`
    return `restored ${taken} entities (${records} records) from ${id}: ${written} records written, the rest held as the backup has them already${dropped > 0 ? `; ${dropped} records written after it are gone` : ''}`
  }

  /** One entity's journal rewritten while its owner holds it still (tried again when an activation
   * raced the rewrite). */
  async #rewriteHeld (entity: string, records: readonly StoredRecord[], state: () => unknown, clients: ReadonlyMap<string, ReplicaClient>, activation: string): Promise<{ dropped: number, written: number }> {
    const owner = this.#opts.ownerOf?.(entity) ?? this.#opts.self
    const hold = this.#opts.system.actorAt<RestoreHoldMsg>({ node: owner, path: RESTORE_HOLD_PATH })
    const held = await hold.ask<'held' | 'not-active'>((replyTo) => ({ type: 'hold', entity, replyTo }), { timeout: HOLD_ASK_MS }).catch(() => 'not-active' as const)
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await rewriteJournal(entity, records, state, clients, activation)
        } catch (err) {
          if (!(err instanceof BackupRestoreError) || attempt >= REWRITE_TRIES) throw err
        }
      }
    } finally {
      if (held === 'held') await hold.ask<'ok'>((replyTo) => ({ type: 'unhold', entity, replyTo }), { timeout: HOLD_ASK_MS }).catch(() => undefined)
    }
  }

  /** One entity's block from its chunks (cached per restore: a full restore reads each chunk once). */
  async #readBlock (key: BackupKey, p: ManifestPartition, block: EntityBlock, cache: Map<string, Buffer>): Promise<DecodedEntity> {
    const { first, last, skip } = chunkSpan(p.chunks.map((c) => c.size), block)
    const parts: Buffer[] = []
    for (const c of p.chunks.slice(first, last + 1)) {
      let plain = cache.get(c.id)
      if (plain === undefined) {
        plain = openChunk(key, c.id, await this.#fetch(c.id, c.digest, []))
        // a partition's stream is read in order: the chunks before this one are not needed again
        if (cache.size > 64) cache.clear()
        cache.set(c.id, plain)
      }
      parts.push(plain)
    }
    return decodeBlock(Buffer.concat(parts).subarray(skip, skip + block.length), block, { lazy: true })
  }

  async #verify (control: JobControl, key: BackupKey, id: string, full: boolean): Promise<string> {
    const manifest = await this.manifest(id, true)
    const chunks = manifest.partitions.flatMap((p) => p.chunks)
    const unique = [...new Map(chunks.map((c) => [c.id, c])).values()]
    control.progress({ total: unique.length, done: 0, message: `checking ${unique.length} chunks${full ? ', every copy read whole here or proven by a challenge' : ', each holder re-reading its copies'}` })
    const problems: Array<{ item: string, why: string }> = []
    let checked = 0
    let failed = 0
    let repaired = 0
    const tally = (chunk: ManifestChunk, result: { found: string[], unmended: boolean, repaired: number }): void => {
      if (result.found.length > 0) problems.push({ item: chunk.id, why: result.found.join('; ').slice(0, 256) })
      if (result.unmended) failed++
      repaired += result.repaired
      this.stats.repairs += result.repaired
      if (result.unmended) this.stats.unmended++
    }
    const report = (): void => { control.progress({ done: checked, failed, left: problems.slice(0, 50) }) }
    if (full) {
      // several chunks at once: each is a read here and a challenge on every other holder
      let next = 0
      await Promise.all(Array.from({ length: Math.min(VERIFY_CONCURRENCY, unique.length) }, async () => {
        while (next < unique.length) {
          control.signal.throwIfAborted()
          const chunk = unique[next++] as ManifestChunk
          tally(chunk, await this.#checkChunk(chunk))
          if (++checked % 64 === 0) report()
        }
      }))
    } else {
      // every holder re-reads the copies it should keep, all holders at once; what one finds
      // missing or damaged (or could not say) is looked at here and mended
      const byHolder = new Map<string, ManifestChunk[]>()
      for (const chunk of unique) for (const node of this.#rank(chunk.id)) pushTo(byHolder, node, chunk)
      const bad = new Map<string, Array<{ node: string, why: string, mendable: boolean, damaged: boolean }>>()
      await Promise.all([...byHolder].map(async ([node, list]) => {
        for (let i = 0; i < list.length;) {
          control.signal.throwIfAborted()
          const batch: ManifestChunk[] = []
          let bytes = 0
          while (i < list.length && batch.length < MAX_CHECK_CHUNKS && (batch.length === 0 || bytes + (list[i] as ManifestChunk).size <= CHECK_BATCH_BYTES)) {
            bytes += (list[i] as ManifestChunk).size
            batch.push(list[i++] as ManifestChunk)
          }
          const answers = await this.#holder(node).check(batch.map((c) => ({ id: c.id, digest: c.digest }))).catch((err: unknown) => err as Error)
          batch.forEach((chunk, j) => {
            const answer = answers instanceof Error ? answers : answers[j]
            if (answer === 'ok') return
            const why = answer instanceof Error ? `unreachable (${answer.message})` : answer === 'missing' ? 'missing' : 'damaged (its holder found its bytes changed)'
            pushTo(bad, chunk.id, { node, why, mendable: !(answer instanceof Error), damaged: answer === 'damaged' })
          })
        }
      }))
      for (const chunk of unique) {
        const copies = bad.get(chunk.id)
        if (copies === undefined) {
          checked++
          continue
        }
        control.signal.throwIfAborted()
        const whole = this.#rank(chunk.id).filter((n) => !copies.some((b) => b.node === n))
        tally(chunk, await this.#mend(chunk, copies, undefined, whole))
        if (++checked % 64 === 0) report()
      }
    }
    checked = unique.length
    report()
    const how = full ? 'one copy read here and checked against the manifest, every other proven the same by a challenge of a fresh nonce' : 'each holder re-read its copies and checked them against the manifest\'s digests'
    if (failed > 0) throw new BackupHolderError(`backup ${id}: ${failed} of ${unique.length} chunks are not whole on every holder that should keep them, and could not be mended (first: ${problems[0]?.item}: ${problems[0]?.why})`)
    if (repaired > 0) return `backup ${id}: ${repaired} missing or damaged cop${repaired === 1 ? 'y' : 'ies'} of its ${unique.length} chunks put back from whole ones (listed in left); every copy is whole now (${how})`
    return `backup ${id}: every copy of its ${unique.length} chunks is whole (${how}); root ${manifestRoot(manifest).slice(0, 16)}`
  }

  /**
   * Checks one chunk on the holders that should keep it and repairs what it can: one copy is read
   * here (this node's own when it keeps one) and its SHA-256 checked against the manifest's
   * digest; every other holder answers a challenge of a fresh nonce (SHA-256(nonce ‖ copy): only a
   * holder of the whole copy can answer it). A copy missing or damaged is put back from a whole one
   * (found on any backup holder), a damaged one removed first. Returns what was found, each with
   * how it ended, and whether anything is left unmended.
   */
  async #checkChunk (chunk: ManifestChunk): Promise<{ found: string[], unmended: boolean, repaired: number }> {
    const holder = (node: string): ChunkHolderClient => this.#holder(node)
    const bad: Array<{ node: string, why: string, mendable: boolean, damaged: boolean }> = []
    let read: { node: string, copy: Uint8Array } | undefined
    const holders = this.#localFirst(this.#rank(chunk.id))
    for (const node of holders) {
      if (read !== undefined) break
      read = await this.#readCopy(chunk, node, bad)
    }
    if (read !== undefined) {
      const nonce = randomBytes(32)
      const expected = createHash('sha256').update(nonce).update(read.copy).digest('hex')
      const asked = new Set([read.node, ...bad.map((b) => b.node)])
      await Promise.all(holders.filter((n) => !asked.has(n)).map(async (node) => {
        try {
          const answer = await holder(node).challenge(chunk.id, nonce)
          if (answer !== expected) bad.push({ node, why: answer === null ? 'missing' : 'damaged (it answered the challenge wrongly)', mendable: true, damaged: answer !== null })
        } catch (err) {
          const damaged = (err as Error).name === 'ChunkDamagedError'
          bad.push({ node, why: damaged ? 'damaged (its store found its bytes changed)' : `unreachable (${(err as Error).message})`, mendable: damaged, damaged })
        }
      }))
    }
    return await this.#mend(chunk, bad, read, [])
  }

  /** A copy of the chunk read from `node` when it is whole; otherwise what is wrong is added to `bad`. */
  async #readCopy (chunk: ManifestChunk, node: string, bad: Array<{ node: string, why: string, mendable: boolean, damaged: boolean }> | undefined): Promise<{ node: string, copy: Uint8Array } | undefined> {
    try {
      const copy = await this.#holder(node).get(chunk.id)
      if (copy !== null && ciphertextDigest(copy) === chunk.digest) return { node, copy }
      bad?.push({ node, why: copy === null ? 'missing' : 'damaged (its bytes do not hash to the manifest\'s digest)', mendable: true, damaged: copy !== null })
    } catch (err) {
      const damaged = (err as Error).name === 'ChunkDamagedError'
      bad?.push({ node, why: damaged ? 'damaged (its store found its bytes changed)' : `unreachable (${(err as Error).message})`, mendable: damaged, damaged })
    }
    return undefined
  }

  /** Puts back the copies in `bad` from `read`, or from a whole copy found on `whole` first, then on
   * any other backup holder. */
  async #mend (chunk: ManifestChunk, bad: ReadonlyArray<{ node: string, why: string, mendable: boolean, damaged: boolean }>, read: { node: string, copy: Uint8Array } | undefined, whole: readonly string[]): Promise<{ found: string[], unmended: boolean, repaired: number }> {
    if (bad.length === 0) return { found: [], unmended: false, repaired: 0 }
    const tried = new Set(bad.map((b) => b.node))
    for (const node of this.#localFirst([...whole, ...this.#opts.holders().map((c) => c.peerId).filter((n) => !whole.includes(n))])) {
      if (read !== undefined) break
      if (tried.has(node)) continue
      tried.add(node)
      read = await this.#readCopy(chunk, node, undefined)
    }
    if (read === undefined) return { found: [`no whole copy on any holder: lost (${bad.map((b) => `${b.node}: ${b.why}`).join('; ') || 'no holder'})`], unmended: true, repaired: 0 }
    const found: string[] = []
    let unmended = false
    let repaired = 0
    for (const b of bad) {
      if (!b.mendable) {
        found.push(`${b.node}: ${b.why}`)
        unmended = true
        continue
      }
      try {
        if (b.damaged) await this.#holder(b.node).remove([chunk.id])
        await this.#holder(b.node).put([{ id: chunk.id, digest: chunk.digest, sealed: read.copy }])
        found.push(`${b.node}: ${b.why}; put back from ${read.node}`)
        repaired++
      } catch (err) {
        found.push(`${b.node}: ${b.why}; could not be put back (${(err as Error).message})`)
        unmended = true
      }
    }
    return { found, unmended, repaired }
  }

  /** `nodes` with this node first when it is one of them (its copy is read without the network). */
  #localFirst (nodes: readonly string[]): string[] {
    return nodes.includes(this.#opts.self) ? [this.#opts.self, ...nodes.filter((n) => n !== this.#opts.self)] : [...nodes]
  }

  /** Removes the done backups of this key that the retention policy does not keep; their ids. */
  async #applyRetention (key: BackupKey): Promise<string[]> {
    const policy = this.#opts.retention
    if (policy === undefined) return []
    const mine = (await this.list(true)).filter((b) => b.state === 'done' && b.keyFingerprint === key.fingerprint)
    const keep = retained(mine, policy)
    const gone: string[] = []
    for (const b of mine) {
      if (keep.has(b.id)) continue
      await this.remove(b.id, true)
      gone.push(b.id)
    }
    return gone
  }

  /** This key's latest done backup (its manifest), and its chunks that their holders still hold:
   * id → digest. */
  async #knownChunks (key: BackupKey): Promise<{ known: Map<string, string>, previous: BackupManifest | undefined }> {
    const latest = (await this.list(true)).filter((b) => b.state === 'done' && b.keyFingerprint === key.fingerprint).at(-1)
    if (latest === undefined) return { known: new Map(), previous: undefined }
    const manifest = await this.manifest(latest.id, true).catch(() => undefined)
    if (manifest === undefined) return { known: new Map(), previous: undefined }
    const all = new Map(manifest.partitions.flatMap((p) => p.chunks.map((c) => [c.id, c.digest] as const)))
    // a chunk counts as stored when its first-ranked holder still has it (audits and repair see to the copies)
    const byHolder = new Map<string, string[]>()
    for (const id of all.keys()) {
      const [first] = this.#rank(id)
      if (first !== undefined) pushTo(byHolder, first, id)
    }
    const known = new Map<string, string>()
    const holder = (node: string): ChunkHolderClient => this.#holder(node)
    for (const [node, ids] of byHolder) {
      for (let i = 0; i < ids.length; i += MAX_HOLDER_IDS) {
        const page = ids.slice(i, i + MAX_HOLDER_IDS)
        const held = await holder(node).has(page).catch(() => page.map(() => false))
        page.forEach((id, j) => { if (held[j] === true) known.set(id, all.get(id) as string) })
      }
    }
    return { known, previous: manifest }
  }

  /** Removes a sealed blob (a checkpoint no longer needed) from the holders that took it; one that
   * cannot be reached keeps it (it names nothing a restore reads). */
  async #dropBlob (ref: ManifestRef): Promise<void> {
    await Promise.all(ref.holders.map(async (node) => { await this.#holder(node).remove([ref.digest]).catch(() => undefined) }))
  }

  /** The holders of a chunk, most preferred first. */
  #rank (id: string): string[] {
    return rendezvousRanking(`chunk/${id}`, this.#opts.holders(), this.#copies())
  }

  #copies (): number {
    return Math.max(1, Math.min(this.#opts.copies, this.#opts.holders().length))
  }

  /** A sealed blob from the first of `holders` that serves it whole. */
  async #fetch (id: string, digest: string, holders: readonly string[]): Promise<Uint8Array> {
    const holder = (node: string): ChunkHolderClient => this.#holder(node)
    const reasons: string[] = []
    for (const node of this.#localFirst([...holders, ...this.#rank(id).filter((n) => !holders.includes(n))])) {
      try {
        const copy = await holder(node).get(id)
        if (copy !== null && ciphertextDigest(copy) === digest) return copy
        reasons.push(`${node}: ${copy === null ? 'missing' : 'damaged'}`)
      } catch (err) {
        reasons.push(`${node}: ${(err as Error).message}`)
      }
    }
    throw new BackupHolderError(`no holder serves ${id} whole (${reasons.join('; ')})`)
  }

  /** The backup holder on `node`, as this service asks it. */
  #holder (node: string): ChunkHolderClient {
    return this.#opts.holder?.(node) ?? holderAt(this.#opts.system, node)
  }

  #requireKey (): BackupKey {
    if (this.#opts.key === undefined) throw new NoBackupKeyError()
    return this.#opts.key
  }

  /** Asks the catalog. A job's asks (`patient`) ride out its owner's failover: a failure of kind
   * unavailable is tried again for up to CATALOG_PATIENCE_MS. */
  async #catalog<T> (msg: object, patient = false): Promise<T> {
    const until = Date.now() + (patient ? CATALOG_PATIENCE_MS : 0)
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        return await this.#opts.system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: CATALOG_ASK_MS })
      } catch (err) {
        if (kindOf(err) !== 'unavailable' || Date.now() + wait > until) throw err
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
  }
}

/**
 * Sends chunks to their holders: each to `copies` members ranked by its id, in puts of at most
 * MAX_PUT_BYTES, at most PUTS_IN_FLIGHT at once. A holder that fails a put is passed over for the
 * rest of the backup: that put's chunks are queued again for the next members of their rankings
 * (so a backup node that dies mid-backup costs a retry, not the job). A put that fails only queues:
 * no put waits for another, so puts failing together cannot wait on each other.
 */
class Uploader {
  readonly #opts: BackupServiceOptions
  readonly #signal: AbortSignal
  readonly #holder: (node: string) => ChunkHolderClient
  readonly #pending = new Map<string, { chunks: PutChunk[], bytes: number }>()
  readonly #inFlight = new Set<Promise<void>>()
  readonly #failed = new Set<string>()
  /** Copies of each chunk not yet acknowledged by a holder (absent: every copy is). */
  readonly #unacked = new Map<string, number>()
  #error: unknown

  readonly #onAck: () => void

  /** `onAck` is called after each put a holder acknowledged. */
  constructor (opts: BackupServiceOptions, signal: AbortSignal, holder: (node: string) => ChunkHolderClient, onAck: () => void) {
    this.#opts = opts
    this.#signal = signal
    this.#holder = holder
    this.#onAck = onAck
  }

  /** Sends every batch that waits (waiting only for a free slot, not for the puts). */
  async send (): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    for (const node of [...this.#pending.keys()]) await this.#send(node)
  }

  /** Queues a chunk for its holders; sends the batches that are full, waiting while too many puts
   * are in flight. */
  async add (chunk: PutChunk): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    this.#enqueue(chunk)
    for (const [node, batch] of [...this.#pending]) if (batch.bytes >= MAX_PUT_BYTES) await this.#send(node)
  }

  /** Whether every copy of a chunk added here was acknowledged (true for one never added). */
  acked (id: string): boolean {
    return !this.#unacked.has(id)
  }

  #settle (chunks: readonly PutChunk[]): void {
    for (const c of chunks) {
      const left = (this.#unacked.get(c.id) ?? 1) - 1
      if (left > 0) this.#unacked.set(c.id, left)
      else this.#unacked.delete(c.id)
    }
  }

  /** Sends what waits and waits for every put, and for what failed puts queued again. */
  async flush (): Promise<void> {
    while (this.#pending.size > 0 || this.#inFlight.size > 0) {
      for (const node of [...this.#pending.keys()]) await this.#send(node)
      if (this.#inFlight.size > 0) await Promise.race(this.#inFlight)
      if (this.#error !== undefined) throw this.#error
    }
    if (this.#error !== undefined) throw this.#error
  }

  /** Puts one blob on its holders now; resolves with the holders that took it. */
  async putNow (chunk: PutChunk): Promise<string[]> {
    const took: string[] = []
    const ranking = rendezvousRanking(`chunk/${chunk.id}`, this.#opts.holders(), this.#opts.holders().length)
    const copies = Math.max(1, Math.min(this.#opts.copies, ranking.length))
    for (const node of ranking) {
      if (took.length === copies) break
      try {
        await this.#holder(node).put([chunk])
        took.push(node)
      } catch {
        this.#failed.add(node)
      }
    }
    if (took.length === 0) throw new BackupHolderError(`no backup holder took ${chunk.id}`)
    return took
  }

  /** Adds a chunk to the batches of its holders now: the first `copies` of its ranking that have
   * not failed this backup. */
  #enqueue (chunk: PutChunk): void {
    const ranking = rendezvousRanking(`chunk/${chunk.id}`, this.#opts.holders(), this.#opts.holders().length).filter((n) => !this.#failed.has(n))
    if (ranking.length === 0) throw new BackupHolderError('every backup holder failed this backup')
    for (const node of ranking.slice(0, Math.max(1, Math.min(this.#opts.copies, this.#opts.holders().length)))) {
      const batch = this.#pending.get(node) ?? { chunks: [], bytes: 0 }
      batch.chunks.push(chunk)
      batch.bytes += chunk.sealed.byteLength
      this.#pending.set(node, batch)
      this.#unacked.set(chunk.id, (this.#unacked.get(chunk.id) ?? 0) + 1)
    }
  }

  /** Sends a holder's batch, in puts of at most MAX_PUT_BYTES. */
  async #send (node: string): Promise<void> {
    const batch = this.#pending.get(node)
    this.#pending.delete(node)
    if (batch === undefined) return
    const puts: PutChunk[][] = []
    let bytes = 0
    for (const chunk of batch.chunks) {
      const last = puts.at(-1)
      if (last === undefined || bytes + chunk.sealed.byteLength > MAX_PUT_BYTES) {
        puts.push([chunk])
        bytes = chunk.sealed.byteLength
      } else {
        last.push(chunk)
        bytes += chunk.sealed.byteLength
      }
    }
    for (const chunks of puts) {
      while (this.#inFlight.size >= PUTS_IN_FLIGHT) await Promise.race(this.#inFlight)
      this.#signal.throwIfAborted()
      const put = this.#holder(node).put(chunks).then(() => {
        this.#settle(chunks)
        this.#onAck()
      }, () => {
        // this holder is out for the rest of the backup: its chunks go to the next in each ranking
        this.#settle(chunks)
        this.#failed.add(node)
        try {
          for (const chunk of chunks) this.#enqueue(chunk)
        } catch (err) {
          this.#error ??= err
        }
      })
      this.#inFlight.add(put)
      void put.finally(() => { this.#inFlight.delete(put) })
    }
  }
}

/** An event's own time (`ts`, Unix ms), or -Infinity when it has none. */
function eventTime (event: unknown): number {
  const ts = (event as { ts?: unknown } | null)?.ts
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : Number.NEGATIVE_INFINITY
}

/** The catalog lists backups; restoring an old copy of it would bring back backups since pruned
 * and forget newer ones, so it is never in a backup. */
function isCatalog (entity: string): boolean {
  return entity.startsWith(`${BACKUPS.type}/`)
}

function newBackupId (): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase()
  return `bk-${t}-${randomBytes(3).toString('hex')}`
}

function newRestoreId (): string {
  return `rs-${newBackupId().slice(3)}`
}

function mib (bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`
}
