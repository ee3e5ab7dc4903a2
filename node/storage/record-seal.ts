import { createHash, hash } from 'node:crypto'
import { SEAL_HEADER_BYTES, SEAL_SHA256 } from './constants.ts'
import { CorruptRecordError } from './errors.ts'

/**
 * Every stored value is sealed: [1 byte seal id][SHA-256(key ‖ payload)][payload]. Hashing the key
 * too means a value copied under another key is caught as well as a flipped byte. Replication's
 * Merkle trees are built over these digests.
 */
export function seal (key: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(SEAL_HEADER_BYTES + payload.byteLength)
  out[0] = SEAL_SHA256
  const d = digest(key, payload)
  for (let i = 0; i < 32; i++) out[1 + i] = d.charCodeAt(i)
  out.set(payload, SEAL_HEADER_BYTES)
  return out
}

/** The payload of a sealed value; CorruptRecordError when the seal does not match. */
export function unseal (key: string, value: Uint8Array): Uint8Array {
  if (value.byteLength < SEAL_HEADER_BYTES) throw new CorruptRecordError(key, `value is ${value.byteLength} bytes, shorter than its seal`)
  if (value[0] !== SEAL_SHA256) throw new CorruptRecordError(key, `unknown seal id ${value[0]}`)
  const payload = value.subarray(SEAL_HEADER_BYTES)
  if (!sealed(value, digest(key, payload))) throw new CorruptRecordError(key, 'SHA-256 does not match the content')
  return payload
}

/** True when a stored value's seal matches its content (scrub and repair ask without throwing). */
export function sealIntact (key: string, value: Uint8Array): boolean {
  // (without unseal's throw: repair and scrub ask it of every value they look at)
  if (value.byteLength < SEAL_HEADER_BYTES || value[0] !== SEAL_SHA256) return false
  return sealed(value, digest(key, value.subarray(SEAL_HEADER_BYTES)))
}

/** The digest stored in a sealed value (for Merkle trees), without verifying it. */
export function sealDigest (value: Uint8Array): Uint8Array {
  return value.subarray(1, SEAL_HEADER_BYTES)
}

/** Where a small value's key and payload are laid side by side to be hashed in one call (a record is
 * read and written by the thousand: one call instead of a Hash object and three, about half the
 * time; synchronous, so one buffer serves every caller). */
const SCRATCH = Buffer.allocUnsafe(16 * 1024)

/**
 * SHA-256(key ‖ payload) as 32 one-byte characters ('binary', i.e. latin1: each character's code is a byte). A
 * digest comes back as a string in about half the time of one as a Buffer, whose allocation was
 * most of a small value's cost (0.4 against 0.95 µs for a 280-byte record here).
 */
function digest (key: string, payload: Uint8Array): string {
  // (a key's UTF-8 is at most 3 bytes a UTF-16 unit)
  if (key.length * 3 + payload.byteLength <= SCRATCH.byteLength) {
    const n = SCRATCH.write(key, 0, 'utf8')
    SCRATCH.set(payload, n)
    return hash('sha256', SCRATCH.subarray(0, n + payload.byteLength), 'binary')
  }
  return createHash('sha256').update(key).update(payload).digest('binary')
}

/** Whether the digest stored in a sealed value (its bytes 1 to 32) is `chars` (digest's form). */
function sealed (value: Uint8Array, chars: string): boolean {
  for (let i = 0; i < 32; i++) if (value[1 + i] !== chars.charCodeAt(i)) return false
  return true
}
