/**
 * Errors of backups, one class per failure, matched by `name`. None of them ever carries key
 * material: a key's fingerprint is the most they name.
 */
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
    super(`permissions ${mode.toString(8).padStart(4, '0')} on ${path} are too open: chmod 600 ${path}`)
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
