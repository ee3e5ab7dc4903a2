import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { createPlainCodec } from '../../actors/index.ts'
import { isEntityId, partitionOf } from '../replication/index.ts'
import { BackupKey, isChunkId } from './backup-key.ts'
import { CHUNK_NONCE_BYTES, CHUNK_SIZE_CEILING, CHUNK_TAG_BYTES, MAX_MANIFEST_CHUNKS, MAX_MANIFEST_NOTE } from './constants.ts'
import { BackupFormatError, BackupKeyMismatchError, InvalidBackupInputError } from './errors.ts'
import { merkleRoot } from './merkle-root.ts'
import type { EntityBlock } from './partition-stream.ts'

/** One chunk of a partition's stream, in stream order. */
export interface ManifestChunk {
  readonly id: string
  /** Plaintext bytes. */
  readonly size: number
  /** SHA-256 of the sealed bytes. */
  readonly digest: string
}

export interface ManifestPartition {
  readonly partition: number
  readonly chunks: readonly ManifestChunk[]
  /** Its entities' blocks, in id order, one after another from offset 0. */
  readonly blocks: readonly EntityBlock[]
}

/** What one backup holds and where: sealed under a key of its own, stored like a chunk. */
export interface BackupManifest {
  /** 3: its blocks may also hold their entity's snapshot ('P' frames, each named by its block's
   * `snapshot`: block-decode.ts); 2: records as the store kept them ('V' frames); 1: records as
   * msgpack [seq, epoch, event]. This version writes 3 and reads all three (a partition an
   * incremental backup takes from an older one keeps the blocks it had). */
  readonly format: 1 | 2 | 3
  readonly id: string
  /** ISO 8601. */
  readonly createdAt: string
  readonly note: string
  readonly keyFingerprint: string
  /** The cluster's partition count when it was made. */
  readonly partitionCount: number
  /** The partitions holding entities, ascending. */
  readonly partitions: readonly ManifestPartition[]
}

/** The seal's format byte (sealManifest). */
const FORMAT = 1
/** The manifest formats this version reads (it writes MANIFEST_FORMAT). */
const MANIFEST_FORMATS: readonly unknown[] = [1, 2, 3]
export const MANIFEST_FORMAT = 3
const BACKUP_ID = /^[A-Za-z0-9-]{1,64}$/
const HEX64 = /^[0-9a-f]{64}$/
const codec = createPlainCodec()

/** The leaves of a backup's Merkle tree: each chunk of each partition, in order, as `id ‖ digest`. */
export function manifestLeaves (manifest: BackupManifest): string[] {
  return manifest.partitions.flatMap((p) => p.chunks.map((c) => `${c.id}${c.digest}`))
}

/** The Merkle root over every chunk of the backup: what `backup verify` checks each chunk against. */
export function manifestRoot (manifest: BackupManifest): string {
  return merkleRoot(manifestLeaves(manifest))
}

/**
 * The manifest sealed for holders, which have no key: `[format 1][nonce 12][ciphertext][tag 16]`,
 * AES-256-GCM under the backup's own key (BackupKey.manifestKey), the backup id as associated data
 * (a manifest served as another backup's does not open).
 */
export function sealManifest (key: BackupKey, manifest: BackupManifest): Buffer {
  if (!(key instanceof BackupKey)) throw new InvalidBackupInputError('sealManifest: expected a BackupKey')
  checkManifest(manifest)
  if (manifest.keyFingerprint !== key.fingerprint) throw new InvalidBackupInputError(`the manifest names key ${manifest.keyFingerprint}, sealed under ${key.fingerprint}`)
  const plain = codec.encode(manifest)
  const nonce = randomBytes(CHUNK_NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key.manifestKey(manifest.id), nonce, { authTagLength: CHUNK_TAG_BYTES })
  cipher.setAAD(Buffer.from(manifest.id, 'latin1'))
  return Buffer.concat([Buffer.of(FORMAT), nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()])
}

/**
 * The manifest of backup `id`, opened and checked whole (checkManifest), or an error that says
 * why: BackupKeyMismatchError when the catalog says another key made it (`madeWith`, checked before
 * anything is decrypted), BackupFormatError when it does not open or is not a manifest of `id`.
 */
export function openManifest (key: BackupKey, id: string, sealed: Uint8Array, madeWith?: string): BackupManifest {
  if (!(key instanceof BackupKey)) throw new InvalidBackupInputError('openManifest: expected a BackupKey')
  if (typeof id !== 'string' || !BACKUP_ID.test(id)) throw new InvalidBackupInputError('a backup id is 1-64 letters, digits and dashes')
  if (madeWith !== undefined && madeWith !== key.fingerprint) throw new BackupKeyMismatchError(id, madeWith, key.fingerprint)
  if (!(sealed instanceof Uint8Array) || sealed.byteLength < 1 + CHUNK_NONCE_BYTES + CHUNK_TAG_BYTES || sealed[0] !== FORMAT) {
    throw new BackupFormatError(`the manifest of ${id} is not a sealed manifest (too short, or of an unknown format)`)
  }
  const decipher = createDecipheriv('aes-256-gcm', key.manifestKey(id), sealed.subarray(1, 1 + CHUNK_NONCE_BYTES), { authTagLength: CHUNK_TAG_BYTES })
  decipher.setAAD(Buffer.from(id, 'latin1'))
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - CHUNK_TAG_BYTES))
  let plain: Buffer
  try {
    plain = Buffer.concat([decipher.update(sealed.subarray(1 + CHUNK_NONCE_BYTES, sealed.byteLength - CHUNK_TAG_BYTES)), decipher.final()])
  } catch {
    throw new BackupFormatError(`the manifest of ${id} does not open under backup key ${key.fingerprint}: made with another key, or damaged`)
  }
  let manifest: unknown
  try {
    manifest = codec.decode(plain)
  } catch {
    throw new BackupFormatError(`the manifest of ${id} opened but does not decode`)
  }
  checkManifest(manifest)
  if (manifest.id !== id) throw new BackupFormatError(`the manifest of ${id} names backup ${manifest.id.slice(0, 64)}`)
  return manifest
}

/**
 * Throws BackupFormatError unless `value` is a whole, self-consistent manifest: every field of its
 * type and range, partitions ascending and within the count, each partition's blocks in id order,
 * of entities of that partition, laid end to end over exactly its chunks' bytes.
 */
export function checkManifest (value: unknown): asserts value is BackupManifest {
  const fail = (why: string): never => { throw new BackupFormatError(`not a backup manifest: ${why}`) }
  const m = value as Partial<BackupManifest> | null
  if (m === null || typeof m !== 'object') fail('not an object')
  const { format, id, createdAt, note, keyFingerprint, partitionCount, partitions } = m as Partial<BackupManifest>
  if (!MANIFEST_FORMATS.includes(format)) fail(`format ${String(format).slice(0, 20)} (this version reads ${MANIFEST_FORMATS.join(', ')}): made by a later version of Plexi, or damaged`)
  if (typeof id !== 'string' || !BACKUP_ID.test(id)) fail('id')
  if (typeof createdAt !== 'string' || createdAt.length > 40 || Number.isNaN(Date.parse(createdAt))) fail('createdAt')
  if (typeof note !== 'string' || note.length > MAX_MANIFEST_NOTE) fail(`note (a string of at most ${MAX_MANIFEST_NOTE} characters)`)
  if (typeof keyFingerprint !== 'string' || !/^[0-9a-f]{16}$/.test(keyFingerprint)) fail('keyFingerprint')
  if (!Number.isSafeInteger(partitionCount) || (partitionCount as number) < 1 || (partitionCount as number) > 65_536) fail('partitionCount')
  if (!Array.isArray(partitions)) fail('partitions')
  let chunkCount = 0
  let previous = -1
  for (const p of partitions as ManifestPartition[]) {
    if (p === null || typeof p !== 'object' || !Number.isSafeInteger(p.partition) || p.partition <= previous || p.partition >= (partitionCount as number)) fail('partitions: ascending numbers within the count')
    previous = p.partition
    if (!Array.isArray(p.chunks) || !Array.isArray(p.blocks)) fail(`partition ${p.partition}: chunks and blocks`)
    chunkCount += p.chunks.length
    if (chunkCount > MAX_MANIFEST_CHUNKS) fail(`more than ${MAX_MANIFEST_CHUNKS} chunks`)
    let bytes = 0
    for (const c of p.chunks) {
      if (c === null || typeof c !== 'object' || !isChunkId(c.id) || typeof c.digest !== 'string' || !HEX64.test(c.digest) ||
        !Number.isSafeInteger(c.size) || c.size < 1 || c.size > CHUNK_SIZE_CEILING) fail(`partition ${p.partition}: a chunk that is not { id, size, digest }`)
      bytes += c.size
    }
    let at = 0
    let last = ''
    for (const b of p.blocks) {
      if (b === null || typeof b !== 'object' || !isEntityId(b.entity) || partitionOf(b.entity, partitionCount as number) !== p.partition || !(b.entity > last)) {
        fail(`partition ${p.partition}: blocks of its own entities in id order`)
      }
      if (b.offset !== at || !Number.isSafeInteger(b.length) || b.length < 1 || !Number.isSafeInteger(b.head) || b.head < 1 ||
        !Number.isSafeInteger(b.headEpoch) || b.headEpoch < 0) fail(`partition ${p.partition}: ${b.entity}'s block (offset, length, head, headEpoch)`)
      const snap = b.snapshot
      // (within the block, before its 17-byte end: block-decode.ts)
      if (snap !== undefined && (snap === null || typeof snap !== 'object' || !Number.isSafeInteger(snap.seq) || snap.seq < 1 || snap.seq > b.head ||
        !Number.isSafeInteger(snap.offset) || snap.offset < 3 || !Number.isSafeInteger(snap.length) || snap.length < 6 || snap.offset + snap.length > b.length - 17)) {
        fail(`partition ${p.partition}: ${b.entity}'s snapshot (seq at most its head, offset and length within its block)`)
      }
      const tail = b.last
      // (a 'V' frame: its 5-byte header and at least a seal; within the block, before its end)
      if (tail !== undefined && (tail === null || typeof tail !== 'object' || b.head < 2 || !Number.isSafeInteger(tail.offset) || tail.offset < 3 ||
        !Number.isSafeInteger(tail.length) || tail.length < 5 + 33 || tail.offset + tail.length > b.length - 17 || !Number.isSafeInteger(tail.prevEpoch) ||
        tail.prevEpoch < 0 || tail.prevEpoch > b.headEpoch)) {
        fail(`partition ${p.partition}: ${b.entity}'s last record (offset and length within its block, the epoch before it at most its head's)`)
      }
      at += b.length
      last = b.entity
    }
    if (at !== bytes) fail(`partition ${p.partition}: its blocks cover ${at} bytes, its chunks ${bytes}`)
  }
}
