import { createHash, hash } from 'node:crypto'
import { InvalidBackupInputError } from './errors.ts'
import { valueShape } from './value-shape.ts'

/** A leaf: bytes, or a string taken as its UTF-8 bytes (a hex chunk id is hashed as its text, not
 * decoded). */
export type MerkleLeaf = Uint8Array | string

const LEAF_PREFIX = Buffer.of(0x00)
const NODE_PREFIX = 0x01
const HASH_BYTES = 32
const HEX_HASH = /^[0-9a-f]{64}$/
/** A proof has one hash per level: no tree of up to 2^53 leaves (a safe integer count) is deeper. */
const MAX_PROOF_HASHES = 53

/**
 * The Merkle tree hash of RFC 6962 §2.1 (as Certificate Transparency), hex: SHA-256 of 0x00 ‖ leaf
 * for a leaf, of 0x01 ‖ left ‖ right for an inner node, so a leaf can never pass for a node; a
 * list of n > 1 splits at the largest power of two below n. The empty list's root is SHA-256 of
 * nothing. A backup manifest names its chunks' root; `merkleProof` lets one chunk be checked
 * against it without the others.
 */
export function merkleRoot (leaves: readonly Uint8Array[] | readonly string[]): string {
  const hashes = leafHashes(leaves)
  if (hashes.length === 0) return hash('sha256', new Uint8Array(0), 'hex')
  return Buffer.from(subtreeHash(hashes, 0, hashes.length)).toString('hex')
}

/** The audit path of leaf `index` (RFC 6962 §2.1.1): the hex hashes of its subtrees' siblings,
 * from the leaf up. */
export function merkleProof (leaves: readonly Uint8Array[] | readonly string[], index: number): string[] {
  const hashes = leafHashes(leaves)
  if (hashes.length === 0) throw new InvalidBackupInputError('an empty list of leaves has no leaf to prove')
  checkIndex(index, hashes.length)
  const path: Uint8Array[] = []
  let from = 0
  let to = hashes.length
  // descend from the root to the leaf, collecting each sibling; the path runs leaf-up, so reverse
  while (to - from > 1) {
    const k = splitOf(to - from)
    if (index < from + k) {
      path.push(subtreeHash(hashes, from + k, to))
      to = from + k
    } else {
      path.push(subtreeHash(hashes, from, from + k))
      from += k
    }
  }
  return path.reverse().map((h) => Buffer.from(h).toString('hex'))
}

/**
 * Whether `proof` shows `leaf` at `index` in a list of `count` leaves whose root is `root` (RFC
 * 9162 §2.1.3.2). False for any mismatch: another leaf, index or root, or a proof of the wrong
 * length. Arguments of the wrong shape are an InvalidBackupInputError.
 *
 * `count` must come from where `root` comes from (the manifest): as in RFC 6962, the root does not
 * commit to it, and some other counts give the same path shape (leaf 2 of 3 verifies as leaf 3 of
 * 4 with the same proof).
 */
export function verifyMerkleProof (root: string, leaf: MerkleLeaf, index: number, count: number, proof: readonly string[]): boolean {
  if (typeof root !== 'string' || !HEX_HASH.test(root)) throw new InvalidBackupInputError(`a Merkle root is 64 lowercase hex characters, got ${valueShape(root)}`)
  if (!Number.isSafeInteger(count) || count < 1) throw new InvalidBackupInputError(`a Merkle proof's leaf count is a whole number, 1 or more, got ${valueShape(count)}`)
  checkIndex(index, count)
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_HASHES) throw new InvalidBackupInputError(`a Merkle proof is an array of at most ${MAX_PROOF_HASHES} hashes, got ${valueShape(proof)}`)
  for (const h of proof) {
    if (typeof h !== 'string' || !HEX_HASH.test(h)) throw new InvalidBackupInputError(`a Merkle proof's hashes are 64 lowercase hex characters, got ${valueShape(h)}`)
  }
  let r = leafHash(leaf, 'the leaf')
  let fn = index
  let sn = count - 1
  for (const h of proof) {
    if (sn === 0) return false
    const sibling = Buffer.from(h, 'hex')
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sibling, r)
      // a right-edge node without a sibling at its level: climb to where it has one
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      r = nodeHash(r, sibling)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && Buffer.from(r).toString('hex') === root
}

function leafHashes (leaves: readonly MerkleLeaf[]): Uint8Array[] {
  if (!Array.isArray(leaves)) throw new InvalidBackupInputError(`Merkle leaves are an array of Uint8Arrays or strings, got ${valueShape(leaves)}`)
  return leaves.map((leaf, i) => leafHash(leaf, `leaf ${i}`))
}

function leafHash (leaf: MerkleLeaf, what: string): Uint8Array {
  if (typeof leaf !== 'string' && !(leaf instanceof Uint8Array)) throw new InvalidBackupInputError(`${what} is a Uint8Array or a string, got ${valueShape(leaf)}`)
  // a lone surrogate has no UTF-8 form (it would be hashed as U+FFFD, like any other one)
  if (typeof leaf === 'string' && !leaf.isWellFormed()) throw new InvalidBackupInputError(`${what} is a string with a lone surrogate, which has no UTF-8 form`)
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest()
}

function nodeHash (left: Uint8Array, right: Uint8Array): Uint8Array {
  const both = new Uint8Array(1 + 2 * HASH_BYTES)
  both[0] = NODE_PREFIX
  both.set(left, 1)
  both.set(right, 1 + HASH_BYTES)
  return hash('sha256', both, 'buffer')
}

/** The root of leaves [from, to) (RFC 6962 MTH), to - from >= 1. */
function subtreeHash (hashes: readonly Uint8Array[], from: number, to: number): Uint8Array {
  if (to - from === 1) return hashes[from] as Uint8Array
  const k = splitOf(to - from)
  return nodeHash(subtreeHash(hashes, from, from + k), subtreeHash(hashes, from + k, to))
}

/** The largest power of two smaller than n (n >= 2). */
function splitOf (n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function checkIndex (index: unknown, count: number): asserts index is number {
  if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= count) {
    throw new InvalidBackupInputError(`a leaf index is a whole number from 0 to ${count - 1}, got ${valueShape(index)}`)
  }
}
