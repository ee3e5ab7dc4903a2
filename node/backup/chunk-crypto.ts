import { createCipheriv, createDecipheriv, createHash } from 'node:crypto'
import { BackupKey, checkChunkId } from './backup-key.ts'
import { CHUNK_FORMAT_AES_256_GCM, CHUNK_NONCE_BYTES, CHUNK_OVERHEAD_BYTES, CHUNK_SIZE_CEILING, CHUNK_TAG_BYTES } from './constants.ts'
import { ChunkDecryptError, ChunkFormatError, InvalidBackupInputError } from './errors.ts'
import { valueShape } from './value-shape.ts'

const CIPHER = 'aes-256-gcm'
const HEADER_BYTES = 1 + CHUNK_NONCE_BYTES

/**
 * A chunk sealed for holders that have no key: `[format 1][nonce 12][ciphertext][tag 16]`,
 * AES-256-GCM under the chunk's own key (BackupKey.chunkKey), with the id as associated data, so
 * a sealed chunk served under another chunk's id does not open.
 *
 * `id` must be `key.chunkId(plaintext)` (checked: a chunk sealed under a wrong id could never be
 * opened, and is better refused now than found at restore).
 */
export function sealChunk (key: BackupKey, id: string, plaintext: Uint8Array): Buffer {
  checkKey(key)
  checkChunkId(id)
  if (!(plaintext instanceof Uint8Array) || plaintext.byteLength > CHUNK_SIZE_CEILING) {
    throw new InvalidBackupInputError(`a chunk to seal is a Uint8Array of at most ${CHUNK_SIZE_CEILING} bytes, got ${valueShape(plaintext)}`)
  }
  if (key.chunkId(plaintext) !== id) throw new InvalidBackupInputError(`chunk id ${id} is not the id of this content under ${key}: seal a chunk under key.chunkId(content)`)
  return seal(key, id, plaintext)
}

/**
 * The seal of a chunk whose id the caller has just computed from this very content with
 * `key.chunkId` (the backup's stream writer, which needs the id first to skip chunks already
 * stored): sealChunk's check of the id would cost a second HMAC over every byte. Not exported from
 * the folder: an id that is not the content's would make a chunk that never opens.
 */
export function sealComputedChunk (key: BackupKey, id: string, plaintext: Uint8Array): Buffer {
  return seal(key, id, plaintext)
}

function seal (key: BackupKey, id: string, plaintext: Uint8Array): Buffer {
  const nonce = key.chunkNonce(id)
  const cipher = createCipheriv(CIPHER, key.chunkKey(id), nonce, { authTagLength: CHUNK_TAG_BYTES })
  cipher.setAAD(Buffer.from(id, 'latin1'))
  const out = Buffer.allocUnsafe(CHUNK_OVERHEAD_BYTES + plaintext.byteLength)
  out[0] = CHUNK_FORMAT_AES_256_GCM
  nonce.copy(out, 1)
  let at = HEADER_BYTES
  at += cipher.update(plaintext).copy(out, at)
  at += cipher.final().copy(out, at)
  cipher.getAuthTag().copy(out, at)
  return out
}

/**
 * The content of a sealed chunk, or an error: ChunkFormatError for a value of no format this
 * version reads, ChunkDecryptError for a wrong key, a wrong id or any changed byte. It never
 * returns bytes that are not the chunk `id`: after GCM's tag, the content's id is checked too.
 */
export function openChunk (key: BackupKey, id: string, sealed: Uint8Array): Buffer {
  checkKey(key)
  checkChunkId(id)
  if (!(sealed instanceof Uint8Array)) throw new InvalidBackupInputError(`a sealed chunk is a Uint8Array, got ${valueShape(sealed)}`)
  if (sealed.byteLength < CHUNK_OVERHEAD_BYTES) throw new ChunkFormatError(id, `${sealed.byteLength} bytes, shorter than a seal (${CHUNK_OVERHEAD_BYTES}): truncated`)
  if (sealed.byteLength > CHUNK_OVERHEAD_BYTES + CHUNK_SIZE_CEILING) throw new ChunkFormatError(id, `${sealed.byteLength} bytes, more than any chunk sealed (${CHUNK_SIZE_CEILING} + ${CHUNK_OVERHEAD_BYTES})`)
  if (sealed[0] !== CHUNK_FORMAT_AES_256_GCM) throw new ChunkFormatError(id, `unknown format ${sealed[0]} (this version reads ${CHUNK_FORMAT_AES_256_GCM}): damaged, or sealed by a later version`)
  const tagAt = sealed.byteLength - CHUNK_TAG_BYTES
  const decipher = createDecipheriv(CIPHER, key.chunkKey(id), sealed.subarray(1, HEADER_BYTES), { authTagLength: CHUNK_TAG_BYTES })
  decipher.setAAD(Buffer.from(id, 'latin1'))
  decipher.setAuthTag(sealed.subarray(tagAt))
  const head = decipher.update(sealed.subarray(HEADER_BYTES, tagAt))
  try {
    decipher.final()
  } catch {
    // update() has already decrypted the unauthenticated bytes: they must not outlive the refusal
    head.fill(0)
    throw new ChunkDecryptError(id, key.fingerprint, 'authentication failed (made with another key, sealed as another chunk, or damaged)')
  }
  if (key.chunkId(head) !== id) {
    head.fill(0)
    throw new ChunkDecryptError(id, key.fingerprint, 'its content has another id (sealed under a wrong id by a holder of the key)')
  }
  return head
}

/** SHA-256 (hex) of a sealed chunk as stored: what a holder, which has no key, checks its copy
 * against (scrub, repair, a transfer). */
export function ciphertextDigest (sealed: Uint8Array): string {
  if (!(sealed instanceof Uint8Array)) throw new InvalidBackupInputError(`a sealed chunk is a Uint8Array, got ${valueShape(sealed)}`)
  return createHash('sha256').update(sealed).digest('hex')
}

function checkKey (key: unknown): asserts key is BackupKey {
  if (!(key instanceof BackupKey)) throw new InvalidBackupInputError(`expected a BackupKey, got ${valueShape(key)}`)
}
