import { KeyObject, createHmac, createSecretKey, hkdfSync, randomBytes } from 'node:crypto'
import { constants, open, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { inspect } from 'node:util'
import {
  BACKUP_KEY_BYTES, BACKUP_KEY_PREFIX, CHUNK_ID_HEX_CHARS, FINGERPRINT_HEX_CHARS, HKDF_INFO_CHUNK_ID,
  HKDF_INFO_CHUNK_KEY, HKDF_INFO_CHUNK_NONCE, HKDF_INFO_FINGERPRINT, HKDF_INFO_MANIFEST_KEY, MAX_KEY_FILE_BYTES
} from './constants.ts'
import {
  BackupKeyExistsError, BackupKeyFormatError, BackupKeyMissingError, BackupKeyPermissionsError,
  BackupKeyUnreadableError, InvalidBackupInputError
} from './errors.ts'
import { valueShape } from './value-shape.ts'

/** base64url of 32 bytes without padding: 43 characters, the last one carrying 2 unused bits. */
const KEY_TEXT_CHARS = Math.ceil(BACKUP_KEY_BYTES * 4 / 3)
const EXPECTED_LINE = `one line '${BACKUP_KEY_PREFIX}:<${KEY_TEXT_CHARS} base64url characters>'`
const FIX = 'the file is damaged or is not a Plexi backup key: restore the key from your offline copy'
const CHUNK_ID = new RegExp(`^[0-9a-f]{${CHUNK_ID_HEX_CHARS}}$`)

/**
 * The operator's master key of backups (issue 16). Everything else is derived from it with
 * HKDF-SHA256, one info string per use: the chunk-id key, each chunk's own AES key, the
 * fingerprint. The key bytes live only in a private KeyObject and never print: toString, toJSON
 * and util.inspect all give `BackupKey(<fingerprint>)`.
 */
export class BackupKey {
  /** Safe to show (one-way): lets a restore with the wrong key say which key it needs. */
  readonly fingerprint: string
  readonly #master: KeyObject
  readonly #idKey: KeyObject

  /** A key from its 32 bytes (copied; the caller may wipe its own). */
  /** `bytes`: the key's 32 bytes, or (in a worker thread of this process) what forWorkers gave. */
  constructor (bytes: Uint8Array | KeyObject) {
    if (bytes instanceof KeyObject) {
      if (bytes.type !== 'secret' || bytes.symmetricKeySize !== BACKUP_KEY_BYTES) throw new InvalidBackupInputError(`a backup key is ${BACKUP_KEY_BYTES} bytes (a secret KeyObject), got another key`)
      this.#master = bytes
    } else {
      if (!(bytes instanceof Uint8Array) || bytes.byteLength !== BACKUP_KEY_BYTES) {
        throw new InvalidBackupInputError(`a backup key is ${BACKUP_KEY_BYTES} bytes (a Uint8Array), got ${valueShape(bytes)}`)
      }
      this.#master = createSecretKey(bytes)
    }
    this.#idKey = this.#deriveKey(HKDF_INFO_CHUNK_ID)
    this.fingerprint = this.#derive(HKDF_INFO_FINGERPRINT, FINGERPRINT_HEX_CHARS / 2).toString('hex')
  }

  /** The key in a key file's text (`plexi-backup-key-1:<base64url>`, trailing whitespace taken).
   * `source` names the file in errors, which never quote the text itself. */
  static parse (text: string, source = 'the backup key'): BackupKey {
    if (typeof text !== 'string') throw new InvalidBackupInputError(`a backup key's text is a string, got ${valueShape(text)}`)
    const bad = (found: string): BackupKeyFormatError =>
      new BackupKeyFormatError(`${source} is not a backup key: expected ${EXPECTED_LINE}, found ${found}; ${FIX}`)
    const line = text.trimEnd()
    if (line === '') throw bad('an empty file')
    const lines = line.split(/\r?\n/).length
    if (lines > 1) throw bad(`${lines} lines`)
    const colon = line.indexOf(':')
    const label = colon < 0 ? '' : line.slice(0, colon)
    if (label !== BACKUP_KEY_PREFIX) {
      // a format name is not secret, and names a key of a later version; anything else is not shown
      throw bad(/^[a-z0-9-]{1,40}$/.test(label) ? `a key of format '${label}'` : `no '${BACKUP_KEY_PREFIX}:' at the start`)
    }
    const body = line.slice(colon + 1)
    if (!/^[A-Za-z0-9_-]*$/.test(body)) throw bad('characters that are not base64url (A-Z a-z 0-9 - _) after the prefix')
    if (body.length !== KEY_TEXT_CHARS) throw bad(`${body.length} characters after the prefix`)
    const bytes = Buffer.from(body, 'base64url')
    // Node's decoder ignores the unused low bits of the last character: only the canonical text
    // of 32 bytes is a key, so one key has one text
    if (bytes.toString('base64url') !== body) {
      bytes.fill(0)
      throw bad(`a last character that no ${BACKUP_KEY_BYTES}-byte key ends with`)
    }
    try {
      return new BackupKey(bytes)
    } finally {
      bytes.fill(0)
    }
  }

  /**
   * The id of a chunk: HMAC-SHA256 of its content under a key derived from the master key, in
   * hex. The same content always gets the same id (so it is stored once), but a holder without the
   * key cannot tell whether a chunk is some content it knows.
   */
  chunkId (plaintext: Uint8Array): string {
    if (!(plaintext instanceof Uint8Array)) throw new InvalidBackupInputError(`a chunk is a Uint8Array, got ${valueShape(plaintext)}`)
    return createHmac('sha256', this.#idKey).update(plaintext).digest('hex')
  }

  /** The AES-256 key of one chunk: HKDF of the master key with the chunk id in its info. */
  chunkKey (id: string): KeyObject {
    checkChunkId(id)
    return this.#deriveKey(HKDF_INFO_CHUNK_KEY + id)
  }

  /**
   * The GCM nonce of one chunk: HKDF of the master key with the chunk id, 12 bytes. Deterministic
   * on purpose: the same content is always sealed to the same bytes, so every holder's copy of a
   * chunk, sealed in any backup, has the one digest the manifests name. Safe: a chunk's key is its
   * own, and the content under an id is always the same (the id is its HMAC), so a key and nonce
   * never seal two different plaintexts; equal ciphertexts say only that the content is equal,
   * which the id says already.
   */
  chunkNonce (id: string): Buffer {
    checkChunkId(id)
    return this.#derive(HKDF_INFO_CHUNK_NONCE + id, 12)
  }

  /** The AES-256 key of one backup's manifest: HKDF of the master key with the backup id. */
  manifestKey (backupId: string): KeyObject {
    if (typeof backupId !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(backupId)) throw new InvalidBackupInputError(`a backup id is 1-64 letters, digits and dashes, got ${valueShape(backupId)}`)
    return this.#deriveKey(HKDF_INFO_MANIFEST_KEY + backupId)
  }

  /** The key for this process's own worker threads, which seal chunks (a KeyObject crosses
   * postMessage as a copy and never prints): `new BackupKey(it)` there. Never sent anywhere else. */
  forWorkers (): KeyObject { return this.#master }

  toString (): string { return `BackupKey(${this.fingerprint})` }
  toJSON (): string { return this.toString() }
  [Symbol.toPrimitive] (): string { return this.toString() }
  [inspect.custom] (): string { return this.toString() }

  /** A derived 256-bit key, kept only in the KeyObject (which copies it). */
  #deriveKey (info: string): KeyObject {
    const bytes = this.#derive(info, 32)
    try {
      return createSecretKey(bytes)
    } finally {
      bytes.fill(0)
    }
  }

  #derive (info: string, bytes: number): Buffer {
    // no salt (RFC 5869 §3.1: optional when the input key is already uniformly random)
    return Buffer.from(hkdfSync('sha256', this.#master, Buffer.alloc(0), info, bytes))
  }
}

/** Whether `value` is a chunk id: 64 lowercase hex characters (a chunkId's output). */
export function isChunkId (value: unknown): value is string {
  return typeof value === 'string' && CHUNK_ID.test(value)
}

/** InvalidBackupInputError unless `value` is a chunk id. */
export function checkChunkId (value: unknown): asserts value is string {
  if (!isChunkId(value)) throw new InvalidBackupInputError(`a chunk id is ${CHUNK_ID_HEX_CHARS} lowercase hex characters, got ${valueShape(value)}`)
}

/** The text of a new key file: one line `plexi-backup-key-1:<base64url of 32 random bytes>`. */
export function generateBackupKey (): string {
  return `${BACKUP_KEY_PREFIX}:${randomBytes(BACKUP_KEY_BYTES).toString('base64url')}\n`
}

/**
 * Creates a new key file at `path` with mode 0600, synced to disk, and returns its key. Refuses
 * (BackupKeyExistsError) when anything is at `path`: a key is never overwritten.
 */
export async function writeBackupKeyFile (path: string): Promise<BackupKey> {
  checkPath(path)
  const text = generateBackupKey()
  let handle: FileHandle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupKeyExistsError(path)
    throw err
  }
  try {
    await handle.writeFile(text)
    // a key lost to a crash right after it was made would lose every backup made with it
    await handle.sync()
  } catch (err) {
    await handle.close()
    await rm(path, { force: true })
    throw err
  }
  await handle.close()
  return BackupKey.parse(text, path)
}

/**
 * The key in the key file at `path`. Refuses, with an error that says how to fix it: a missing or
 * unreadable file; a file that group or others may access (as ssh does; not checked on Windows,
 * whose ACLs the mode does not show); a file that is not one key line.
 */
export async function loadBackupKey (path: string): Promise<BackupKey> {
  checkPath(path)
  let handle: FileHandle
  try {
    // O_NONBLOCK: a FIFO at the path must not hang the open; it is refused as not a file below
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new BackupKeyMissingError(path)
    if (code === 'EACCES' || code === 'EPERM') throw new BackupKeyUnreadableError(path, err)
    throw err
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw new BackupKeyFormatError(`${path} is not a file: expected a key file holding ${EXPECTED_LINE}`)
    const mode = info.mode & 0o777
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) throw new BackupKeyPermissionsError(path, mode)
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1)
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, 0)
    if (bytesRead > MAX_KEY_FILE_BYTES) {
      throw new BackupKeyFormatError(`${path} is not a backup key: expected ${EXPECTED_LINE}, found a file of more than ${MAX_KEY_FILE_BYTES} bytes; ${FIX}`)
    }
    const text = buffer.toString('utf8', 0, bytesRead)
    buffer.fill(0)
    return BackupKey.parse(text, path)
  } finally {
    await handle.close()
  }
}

function checkPath (path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) throw new InvalidBackupInputError(`a key file path is a non-empty string, got ${valueShape(path)}`)
}
