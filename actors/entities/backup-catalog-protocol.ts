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

export type BackupCatalogEvent =
  | { readonly type: 'backup-began', readonly id: string, readonly note: string, readonly keyFingerprint: string, readonly node: string, readonly ts: number }
  | { readonly type: 'backup-completed', readonly id: string, readonly root: string, readonly manifest: ManifestRef, readonly stats: BackupStats, readonly ts: number }
  | { readonly type: 'backup-failed', readonly id: string, readonly error: string, readonly ts: number }
  | { readonly type: 'backup-checkpointed', readonly id: string, readonly checkpoint: ManifestRef, readonly ts: number }
  | { readonly type: 'backup-resumed', readonly id: string, readonly node: string, readonly ts: number }
  | { readonly type: 'backup-removed', readonly id: string }

export interface BackupCatalogState {
  /** By id; ids match BACKUP_ID_PATTERN, so none is special to JavaScript. */
  readonly backups: Readonly<Record<string, BackupEntry>>
}

/** The cluster's list of backups: `backups/cluster`, a single entity on a backup-role node. */
export const BACKUPS = entityTypeKey<BackupCatalogMsg>('backups')
export const BACKUP_CATALOG_KEY = 'cluster'
/** Backup ids: `bk-` and a time and random part, as BackupService makes them. */
export const BACKUP_ID_PATTERN = /^bk-[a-z0-9-]{1,60}$/
/** Backups the catalog keeps: beyond it a new one is refused until some are removed (retention
 * prunes long before). */
export const MAX_BACKUPS = 10_000
export const MAX_BACKUP_NOTE = 1_000
const MAX_ERROR = 2_000
const HEX64 = /^[0-9a-f]{64}$/
const FINGERPRINT = /^[0-9a-f]{16}$/

const BACKUP_CATALOG_MSG_TYPES = Object.keys({ begin: true, complete: true, fail: true, checkpoint: true, resume: true, remove: true, list: true } satisfies Record<BackupCatalogMsg['type'], true>)

/** The catalog's EntityType.check: ids, fingerprints, digests and counts well formed. */
export function checkBackupCatalogMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'backup catalog message')
  switch (m.type) {
    case 'begin':
      m.matching('id', BACKUP_ID_PATTERN, 'a backup id (bk-...)')
      m.string('note', MAX_BACKUP_NOTE, 0)
      m.matching('keyFingerprint', FINGERPRINT, 'a key fingerprint (16 hex digits)')
      m.string('node', 128)
      m.number('ts')
      m.replyTo()
      return
    case 'complete': {
      m.matching('id', BACKUP_ID_PATTERN, 'a backup id (bk-...)')
      m.matching('root', HEX64, 'a SHA-256 root (64 hex digits)')
      checkManifestRef(m.object('manifest'))
      if (m.raw('node') !== undefined) m.string('node', 128)
      const stats = m.object('stats')
      for (const field of ['partitions', 'entities', 'records', 'bytes', 'chunks', 'newChunks', 'newBytes']) stats.integer(field, 0, Number.MAX_SAFE_INTEGER)
      m.number('ts')
      m.replyTo()
      return
    }
    case 'fail':
      m.matching('id', BACKUP_ID_PATTERN, 'a backup id (bk-...)')
      m.string('error', MAX_ERROR)
      m.number('ts')
      if (m.raw('node') !== undefined) m.string('node', 128)
      m.replyTo()
      return
    case 'checkpoint':
      m.matching('id', BACKUP_ID_PATTERN, 'a backup id (bk-...)')
      checkManifestRef(m.object('checkpoint'))
      m.string('node', 128)
      m.number('ts')
      m.replyTo()
      return
    case 'resume':
      m.matching('id', BACKUP_ID_PATTERN, 'a backup id (bk-...)')
      m.string('from', 128)
      m.string('node', 128)
      m.number('ts')
      m.replyTo()
      return
    case 'remove':
      m.matching('id', BACKUP_ID_PATTERN, 'a backup id (bk-...)')
      m.replyTo()
      return
    case 'list':
      m.replyTo()
      return
    default:
      m.unknownType(BACKUP_CATALOG_MSG_TYPES)
  }
}

function checkManifestRef (ref: MessageCheck): void {
  ref.matching('digest', HEX64, 'a SHA-256 digest (64 hex digits)')
  ref.integer('bytes', 1, Number.MAX_SAFE_INTEGER)
  const holders = ref.raw('holders')
  if (!Array.isArray(holders) || holders.length === 0 || holders.length > 16 || !holders.every((h) => typeof h === 'string' && h.length > 0 && h.length <= 128)) {
    ref.refuse('holders', '1-16 peer ids')
  }
}
