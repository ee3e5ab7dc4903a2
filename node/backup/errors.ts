/**
 * Errors of backups, one class per failure, matched by `name`. None of them ever carries key
 * material: a key's fingerprint is the most they name.
 */
import { permissionsTooOpen } from '../identity/light.ts'
import { BACKUP_KEY_PREFIX } from './constants.ts'

/** A function of the backup library called with a value it cannot take (a wrong type, a malformed
 * id, an index out of range, chunker options that do not fit together). */
export class InvalidBackupInputError extends Error {
  override readonly name = 'InvalidBackupInputError'
  readonly kind = 'invalid'
}

/** No key file at the path given. */
export class BackupKeyMissingError extends Error {
  override readonly name = 'BackupKeyMissingError'
  readonly kind = 'not-found'
  readonly path: string
  constructor (path: string) {
    super(`no backup key at ${path}: expected a key file (one line '${BACKUP_KEY_PREFIX}:<key>', mode 0600); give the path of the key the backups were made with, or create a new key for new backups (and keep a copy of it offline: without it no backup can be restored)`)
    this.path = path
  }
}

/** This process may not read the key file (its owner or mode shuts it out). */
export class BackupKeyUnreadableError extends Error {
  override readonly name = 'BackupKeyUnreadableError'
  readonly kind = 'denied'
  readonly path: string
  constructor (path: string, cause: unknown) {
    super(`cannot read the backup key at ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'}): it must be owned and readable by the user the node runs as`, { cause })
    this.path = path
  }
}

/** The key file gives access to group or others (as ssh refuses a private key). */
export class BackupKeyPermissionsError extends Error {
  override readonly name = 'BackupKeyPermissionsError'
  readonly kind = 'invalid'
  readonly path: string
  readonly mode: number
  constructor (path: string, mode: number) {
    super(permissionsTooOpen(path, mode))
    this.path = path
    this.mode = mode
  }
}

/** The key file does not hold a key of this format (its message never quotes the content). */
export class BackupKeyFormatError extends Error {
  override readonly name = 'BackupKeyFormatError'
  readonly kind = 'invalid'
}

/** A new key file was asked for where a file already is: a key is never overwritten, since the
 * backups made with it could not be restored any more. */
export class BackupKeyExistsError extends Error {
  override readonly name = 'BackupKeyExistsError'
  readonly kind = 'conflict'
  readonly path: string
  constructor (path: string) {
    super(`${path} already exists: a backup key is never overwritten (backups made with it would be lost); choose another path, or move the old key away yourself`)
    this.path = path
  }
}

/** A sealed chunk that is not of a format this version reads (too short, too long, unknown
 * format byte). */
export class ChunkFormatError extends Error {
  override readonly name = 'ChunkFormatError'
  readonly kind = 'invalid'
  readonly id: string
  constructor (id: string, why: string) {
    super(`sealed chunk ${id}: ${why}`)
    this.id = id
  }
}

/** A sealed chunk that does not open as this id under this key: another key, another chunk's id,
 * or damaged bytes. Nothing of its content is returned. */
export class ChunkDecryptError extends Error {
  override readonly name = 'ChunkDecryptError'
  readonly kind = 'invalid'
  readonly id: string
  readonly fingerprint: string
  constructor (id: string, fingerprint: string, why: string) {
    super(`sealed chunk ${id} does not open under backup key ${fingerprint}: ${why}`)
    this.id = id
    this.fingerprint = fingerprint
  }
}

/** What a backup reads could not be read now (too few replicas of a partition answered, or none
 * holding an entity's log could serve it): the job tries again later. */
export class BackupSourceError extends Error {
  override readonly name = 'BackupSourceError'
  readonly kind = 'unavailable'
}

/** An entity's journal streamed page by page from this node's replica turned out, part way, not
 * to be what the listing said (a record missing, or its last one of another epoch: the log moved
 * under the read): the partition's stream is dropped and the partition read again, each record
 * checked (BackupCreator). */
export class StreamRestartError extends Error {
  override readonly name = 'StreamRestartError'
  readonly kind = 'unavailable'
}

/** Backup data that is not what its manifest says (a block that does not parse, a stream used
 * out of order): never taken for data. */
export class BackupFormatError extends Error {
  override readonly name = 'BackupFormatError'
  readonly kind = 'invalid'
}

/** A backup made with another key than the one this node holds: nothing is decrypted, nothing
 * written. */
export class BackupKeyMismatchError extends Error {
  override readonly name = 'BackupKeyMismatchError'
  readonly kind = 'invalid'
  constructor (backup: string, madeWith: string, held: string) {
    super(`backup ${backup} was made with backup key ${madeWith}; this node holds key ${held}: start it with the key file that made the backup (--backup-key-file)`)
  }
}

/** A backup holder on another node answered what no correct holder would (a count it was not sent,
 * bytes where none were asked, a listing out of order): nothing is taken from the answer. */
export class BackupHolderError extends Error {
  override readonly name = 'BackupHolderError'
  readonly kind = 'unavailable'
}

/** This node holds no backup key, and the request needs one (making, checking or restoring a
 * backup). */
export class NoBackupKeyError extends Error {
  override readonly name = 'NoBackupKeyError'
  /** conflict (409): the request is sound; this node's configuration cannot serve it */
  readonly kind = 'conflict'
  constructor () {
    super('this node holds no backup key: start it with --backup-key-file (the key the backups are made with; plexi backup keygen makes one), or ask a node that holds it')
  }
}

/** No backup of that id in the catalog, or not one that can be used as asked. */
export class UnknownBackupError extends Error {
  override readonly name = 'UnknownBackupError'
  readonly kind = 'not-found'
  constructor (id: string, why?: string) {
    super(why === undefined ? `no backup ${id.slice(0, 80)} (see plexi admin backup ls)` : `backup ${id.slice(0, 80)} cannot be used: ${why}`)
  }
}

/** A chunk sent to a store whose bytes are not what its digest says: damaged on the way (or by the
 * sender); the whole batch is refused and nothing of it stored. */
export class ChunkDigestMismatchError extends Error {
  override readonly name = 'ChunkDigestMismatchError'
  readonly kind = 'invalid'
  readonly id: string
  constructor (id: string, claimed: string, actual: string) {
    super(`chunk ${id}: its sealed bytes have SHA-256 ${actual}, not the digest ${claimed} sent with them (damaged on the way): send it again; nothing of the batch was stored`)
    this.id = id
  }
}

/** A chunk store's copy of a chunk does not match its digest (bit rot, an outside write, a lost
 * pack file): it is never returned; the caller repairs it from another copy. */
export class ChunkDamagedError extends Error {
  override readonly name = 'ChunkDamagedError'
  readonly kind = 'internal'
  readonly id: string
  readonly pack: string
  constructor (id: string, pack: string, why: string) {
    super(`chunk ${id} in ${pack} is damaged: ${why}; repair it from another copy (remove it here, then put a good copy)`)
    this.id = id
    this.pack = pack
  }
}

/** Another chunk store (in this process or another live one) has the directory open. */
export class ChunkStoreLockedError extends Error {
  override readonly name = 'ChunkStoreLockedError'
  readonly kind = 'conflict'
  readonly dir: string
  readonly pid: number | undefined
  constructor (dir: string, pid: number | undefined, why: string) {
    super(`the chunk store in ${dir} is locked: ${why}; one store per directory (if no process uses it, remove ${dir}/lock by hand)`)
    this.dir = dir
    this.pid = pid
  }
}

/** A call to a chunk store after close(). */
export class ChunkStoreClosedError extends Error {
  override readonly name = 'ChunkStoreClosedError'
  readonly kind = 'unavailable'
}

/** A chunk store's disk is full: the write was undone and nothing of it stored. */
export class ChunkStoreFullError extends Error {
  override readonly name = 'ChunkStoreFullError'
  readonly kind = 'exhausted'
  readonly dir: string
  constructor (dir: string, bytes: number, cause: unknown) {
    super(`no room for ${bytes} bytes in the chunk store in ${dir}: free space, or compact it`, { cause })
    this.dir = dir
  }
}

/** A chunk store's write failed in a way it could not undo (an fsync failed, or a failed write
 * could not be cut off): it takes no more writes; reads go on. Reopening it scans and repairs. */
export class ChunkStoreBrokenError extends Error {
  override readonly name = 'ChunkStoreBrokenError'
  readonly kind = 'internal'
  readonly dir: string
  constructor (dir: string, cause: unknown) {
    super(`the chunk store in ${dir} takes no more writes: a write failed and could not be undone (${(cause as NodeJS.ErrnoException)?.code ?? String(cause)}); reopen it`, { cause })
    this.dir = dir
  }
}

/** A restore could not rewrite an entity's journal now (a replica did not answer, or an activation
 * took the entity meanwhile): nothing of it is acknowledged as restored; try again. */
export class BackupRestoreError extends Error {
  override readonly name = 'BackupRestoreError'
  readonly kind = 'unavailable'
}

/** A backup runs, and the request must wait for it (removing backups: the running one may be
 * naming their chunks as stored). */
export class BackupBusyError extends Error {
  override readonly name = 'BackupBusyError'
  readonly kind = 'conflict'
}
