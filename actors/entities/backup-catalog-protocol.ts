import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'

/** What a finished backup took and stored. */
export interface BackupStats {
  readonly partitions: number
  readonly entities: number
  readonly records: number
  /** Plaintext bytes of every partition's stream. */
  readonly bytes: number
  readonly chunks: number
  /** Chunks and plaintext bytes no earlier backup had stored: what this one sent. */
  readonly newChunks: number
  readonly newBytes: number
}

/** Where a backup's sealed manifest is kept: like a chunk, on `holders`, by its digest. */
export interface ManifestRef {
  readonly digest: string
  readonly bytes: number
  readonly holders: readonly string[]
}

export type BackupState = 'running' | 'done' | 'failed'

/** One backup as the catalog lists it: no key needed to read it, none of its content in it. */
export interface BackupEntry {
  readonly id: string
  readonly state: BackupState
  readonly note: string
  /** The fingerprint of the key that made it (a restore needs the same key). */
  readonly keyFingerprint: string
  /** The node that made it. */
  readonly node: string
  readonly startedAt: number
  readonly endedAt: number | null
  readonly error: string | null
  /** The Merkle root over every chunk's id and digest (done backups). */
  readonly root: string | null
  readonly manifest: ManifestRef | null
  readonly stats: BackupStats | null
  /** While running: the sealed partial manifest of the partitions done so far, whose chunks every
   * holder acknowledged (a node that resumes the backup starts from it). Absent in entries written
   * before checkpoints existed. */
  readonly checkpoint?: ManifestRef | null
  /** How many times the backup was resumed after its node stopped (absent: never). */
  readonly resumed?: number
}

export type RestoreState = 'running' | 'done' | 'failed'

/** What a restore takes back: every entity of the backup, one room, or one user's agent; `since`:
 * only those changed at or after it (Unix ms). */
export interface RestoreSelectionRecord {
  readonly room?: string
  readonly user?: string
  readonly since?: number
}

/** One restore (not a dry run), kept so that a node that stops mid-restore, or another holding the
 * key, goes on with it from `cursor`. */
export interface RestoreEntry {
  readonly id: string
  readonly backup: string
  readonly selection: RestoreSelectionRecord
  readonly state: RestoreState
  /** The node restoring it (the one that resumed it, when its first node stopped). */
  readonly node: string
  /** Entities it restores, in the order it takes them. */
  readonly total: number
  /** Every entity before this one in that order is restored (some after it may be too). */
  readonly cursor: number
  readonly startedAt: number
  readonly endedAt: number | null
  readonly error: string | null
  readonly resumed: number
}

/** Who holds the catalog's lock, and until when (Unix ms). */
export interface CatalogLock {
  readonly node: string
  readonly until: number
}

export type BackupCatalogMsg =
  | {
    readonly type: 'begin', readonly id: string, readonly note: string, readonly keyFingerprint: string, readonly node: string, readonly ts: number,
    readonly replyTo: ReplyTo<BackupEntry>
  }
  /** `node`, when given, must still be the backup's node (one that took it over fences out the
   * node that made it before: that node's later changes are refused). */
  | { readonly type: 'complete', readonly id: string, readonly root: string, readonly manifest: ManifestRef, readonly stats: BackupStats, readonly ts: number, readonly node?: string, readonly replyTo: ReplyTo<BackupEntry> }
  | { readonly type: 'fail', readonly id: string, readonly error: string, readonly ts: number, readonly node?: string, readonly replyTo: ReplyTo<BackupEntry> }
  /** Records how far a running backup got (its node's, refused from any other). */
  | { readonly type: 'checkpoint', readonly id: string, readonly checkpoint: ManifestRef, readonly node: string, readonly ts: number, readonly replyTo: ReplyTo<BackupEntry> }
  /** `node` takes a running backup over from `from` (compare and set: refused when its node is not
   * `from` any more, so of two nodes resuming it at once one wins). */
  | { readonly type: 'resume', readonly id: string, readonly from: string, readonly node: string, readonly ts: number, readonly replyTo: ReplyTo<BackupEntry> }
  /** Forgets a backup (its chunks are pruned by the caller first); replies false if unknown. */
  | { readonly type: 'remove', readonly id: string, readonly replyTo: ReplyTo<boolean> }
  | { readonly type: 'list', readonly replyTo: ReplyTo<BackupEntry[]> }
  | { readonly type: 'restore-begin', readonly id: string, readonly backup: string, readonly selection: RestoreSelectionRecord, readonly total: number, readonly node: string, readonly ts: number, readonly replyTo: ReplyTo<RestoreEntry> }
  /** How far a running restore got (its node's, refused from any other; a cursor never goes back). */
  | { readonly type: 'restore-progress', readonly id: string, readonly cursor: number, readonly node: string, readonly replyTo: ReplyTo<RestoreEntry> }
  | { readonly type: 'restore-end', readonly id: string, readonly error: string | null, readonly node: string, readonly ts: number, readonly replyTo: ReplyTo<RestoreEntry> }
  /** Compare and set, as for backups. */
  | { readonly type: 'restore-resume', readonly id: string, readonly from: string, readonly node: string, readonly ts: number, readonly replyTo: ReplyTo<RestoreEntry> }
  /** Takes the catalog's lock for removing chunks (`backup rm`, retention, a sweep) until `until`
   * (Unix ms): refused while another node's lock has not expired. While it is held no backup
   * begins or is resumed, so none can come to name chunks being removed. Renewing one's own lock
   * is allowed. */
  | { readonly type: 'lock', readonly node: string, readonly until: number, readonly ts: number, readonly replyTo: ReplyTo<CatalogLock> }
  /** Gives the lock back (only its node's; replies whether it held it). */
  | { readonly type: 'unlock', readonly node: string, readonly replyTo: ReplyTo<boolean> }
  /** Restores, oldest first (the running ones and the last MAX_ENDED_RESTORES ended). */
  | { readonly type: 'list-restores', readonly replyTo: ReplyTo<RestoreEntry[]> }

export type BackupCatalogEvent =
  | { readonly type: 'backup-began', readonly id: string, readonly note: string, readonly keyFingerprint: string, readonly node: string, readonly ts: number }
  | { readonly type: 'backup-completed', readonly id: string, readonly root: string, readonly manifest: ManifestRef, readonly stats: BackupStats, readonly ts: number }
  | { readonly type: 'backup-failed', readonly id: string, readonly error: string, readonly ts: number }
  | { readonly type: 'backup-checkpointed', readonly id: string, readonly checkpoint: ManifestRef, readonly ts: number }
  | { readonly type: 'backup-resumed', readonly id: string, readonly node: string, readonly ts: number }
  | { readonly type: 'restore-began', readonly id: string, readonly backup: string, readonly selection: RestoreSelectionRecord, readonly total: number, readonly node: string, readonly ts: number }
  | { readonly type: 'restore-progressed', readonly id: string, readonly cursor: number }
  | { readonly type: 'restore-ended', readonly id: string, readonly error: string | null, readonly ts: number }
  | { readonly type: 'restore-resumed', readonly id: string, readonly node: string }
  | { readonly type: 'catalog-locked', readonly node: string, readonly until: number }
  | { readonly type: 'catalog-unlocked', readonly node: string }
  | { readonly type: 'backup-removed', readonly id: string }

export interface BackupCatalogState {
  /** By id; ids match BACKUP_ID_PATTERN, so none is special to JavaScript. */
  readonly backups: Readonly<Record<string, BackupEntry>>
  /** By id (RESTORE_ID_PATTERN); absent in a state from before restores were kept. */
  readonly restores?: Readonly<Record<string, RestoreEntry>>
  /** The lock for removing chunks (absent or null: free). */
  readonly lock?: CatalogLock | null
}

/** The cluster's list of backups: `backups/cluster`, a single entity on a backup-role node. */
export const BACKUPS = entityTypeKey<BackupCatalogMsg>('backups')
export const BACKUP_CATALOG_KEY = 'cluster'
/** Backup ids: `bk-` and a time and random part, as BackupService makes them. */
export const BACKUP_ID_PATTERN = /^bk-[a-z0-9-]{1,60}$/
/** The longest a lock may be asked for at once (a remove or sweep renews it while it works). */
export const MAX_LOCK_MS = 30 * 60_000
/** Restore ids: `rs-` and a time and random part. */
export const RESTORE_ID_PATTERN = /^rs-[a-z0-9-]{1,60}$/
/** Ended restores the catalog remembers (the oldest are forgotten first). */
export const MAX_ENDED_RESTORES = 100
/** Backups the catalog keeps: beyond it a new one is refused until some are removed (retention
 * prunes long before). */
export const MAX_BACKUPS = 10_000
export const MAX_BACKUP_NOTE = 1_000
const MAX_ERROR = 2_000
const HEX64 = /^[0-9a-f]{64}$/
const FINGERPRINT = /^[0-9a-f]{16}$/

const BACKUP_ID = 'a backup id (bk-...)'
const RESTORE_ID = 'a restore id (rs-...)'

/**
 * The fields of each message type, checked in order (a declarative table: one short check per
 * type, so the type list and the checks cannot disagree, and a type without a check does not
 * compile).
 */
const FIELD_CHECKS: { readonly [T in BackupCatalogMsg['type']]: (m: MessageCheck) => void } = {
  begin (m) {
    m.matching('id', BACKUP_ID_PATTERN, BACKUP_ID)
    m.string('note', MAX_BACKUP_NOTE, 0)
    m.matching('keyFingerprint', FINGERPRINT, 'a key fingerprint (16 hex digits)')
    m.string('node', 128)
    m.number('ts')
    m.replyTo()
  },
  complete (m) {
    m.matching('id', BACKUP_ID_PATTERN, BACKUP_ID)
    m.matching('root', HEX64, 'a SHA-256 root (64 hex digits)')
    checkManifestRef(m.object('manifest'))
    if (m.raw('node') !== undefined) m.string('node', 128)
    const stats = m.object('stats')
    for (const field of ['partitions', 'entities', 'records', 'bytes', 'chunks', 'newChunks', 'newBytes']) stats.integer(field, 0, Number.MAX_SAFE_INTEGER)
    m.number('ts')
    m.replyTo()
  },
  fail (m) {
    m.matching('id', BACKUP_ID_PATTERN, BACKUP_ID)
    m.string('error', MAX_ERROR)
    m.number('ts')
    if (m.raw('node') !== undefined) m.string('node', 128)
    m.replyTo()
  },
  checkpoint (m) {
    m.matching('id', BACKUP_ID_PATTERN, BACKUP_ID)
    checkManifestRef(m.object('checkpoint'))
    m.string('node', 128)
    m.number('ts')
    m.replyTo()
  },
  resume (m) { checkResume(m, BACKUP_ID_PATTERN, BACKUP_ID) },
  remove (m) {
    m.matching('id', BACKUP_ID_PATTERN, BACKUP_ID)
    m.replyTo()
  },
  list (m) { m.replyTo() },
  'restore-begin' (m) {
    m.matching('id', RESTORE_ID_PATTERN, RESTORE_ID)
    m.matching('backup', BACKUP_ID_PATTERN, BACKUP_ID)
    const selection = m.object('selection')
    if (selection.raw('room') !== undefined) selection.string('room', 256)
    if (selection.raw('user') !== undefined) selection.string('user', 256)
    if (selection.raw('since') !== undefined) selection.number('since')
    m.integer('total', 0, Number.MAX_SAFE_INTEGER)
    m.string('node', 128)
    m.number('ts')
    m.replyTo()
  },
  'restore-progress' (m) {
    m.matching('id', RESTORE_ID_PATTERN, RESTORE_ID)
    m.integer('cursor', 0, Number.MAX_SAFE_INTEGER)
    m.string('node', 128)
    m.replyTo()
  },
  'restore-end' (m) {
    m.matching('id', RESTORE_ID_PATTERN, RESTORE_ID)
    if (m.raw('error') !== null) m.string('error', MAX_ERROR)
    m.string('node', 128)
    m.number('ts')
    m.replyTo()
  },
  'restore-resume' (m) { checkResume(m, RESTORE_ID_PATTERN, RESTORE_ID) },
  'list-restores' (m) { m.replyTo() },
  lock (m) {
    m.string('node', 128)
    const ts = m.number('ts')
    const until = m.number('until')
    if (until <= ts || until > ts + MAX_LOCK_MS) m.refuse('until', `a time after ts, at most ${MAX_LOCK_MS} ms after it`)
    m.replyTo()
  },
  unlock (m) {
    m.string('node', 128)
    m.replyTo()
  }
}

const BACKUP_CATALOG_MSG_TYPES = Object.keys(FIELD_CHECKS)

/** The catalog's EntityType.check: ids, fingerprints, digests and counts well formed. */
export function checkBackupCatalogMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'backup catalog message')
  if (!Object.hasOwn(FIELD_CHECKS, m.type)) m.unknownType(BACKUP_CATALOG_MSG_TYPES)
  FIELD_CHECKS[m.type as BackupCatalogMsg['type']](m)
}

function checkManifestRef (ref: MessageCheck): void {
  ref.matching('digest', HEX64, 'a SHA-256 digest (64 hex digits)')
  ref.integer('bytes', 1, Number.MAX_SAFE_INTEGER)
  const holders = ref.raw('holders')
  if (!Array.isArray(holders) || holders.length === 0 || holders.length > 16 || !holders.every((h) => typeof h === 'string' && h.length > 0 && h.length <= 128)) {
    ref.refuse('holders', '1-16 peer ids')
  }
}

/** A resume of a backup or a restore: its id, the node it is taken from, the node taking it. */
function checkResume (m: MessageCheck, id: RegExp, expected: string): void {
  m.matching('id', id, expected)
  m.string('from', 128)
  m.string('node', 128)
  m.number('ts')
  m.replyTo()
}
