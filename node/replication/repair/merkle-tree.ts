import { hash } from 'node:crypto'
import { REPLICA_MERKLE_DEPTH, TREE_RUN_GAP, TREE_RUN_MAX } from '../constants.ts'

/** Leaves of a partition's tree: 2^depth buckets of entities. @default 10 (1,024 buckets) */
export const DEFAULT_MERKLE_DEPTH = 10
const DIGEST_BYTES = 32

/**
 * The Merkle tree of one partition replica (issue 13, docs/replication.md "Merkle trees"): kept
 * up to date on every write, never rebuilt in normal operation.
 *
 * Each record's seal digest (SHA-256 of its key and content, computed when it is stored) is
 * XORed into the leaf of its entity's bucket (`bucketOf`): adding a record and removing it are the
 * same O(1) step, in any order, so the leaves follow the writes exactly. A record's key is in its
 * digest, so two records never cancel each other. Inner nodes are SHA-256 of their two children,
 * recomputed lazily: a write marks its leaf's path dirty, and `root()` or `level()` rehash only
 * dirty nodes (a burst of writes to one bucket costs one path, not one per write).
 *
 * Two replicas compare roots; where they differ they compare the children, level by level
 * (`diffLeaves`), and reach the differing buckets after about (differing buckets × depth) node
 * comparisons, not a scan. Within a bucket, entities and then records are compared by their own
 * digests (the exchange protocol is the anti-entropy's).
 */
export class MerkleTree {
  readonly depth: number
  /** Nodes in heap order: 1 is the root, i's children are 2i and 2i + 1; leaves from 2^depth. */
  readonly #nodes: Uint8Array
  readonly #dirty: Uint8Array
  #records = 0

  constructor (depth = DEFAULT_MERKLE_DEPTH) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 20) throw new RangeError(`Merkle tree depth must be an integer 1-20, got ${depth}`)
    this.depth = depth
    const count = 2 << depth
    this.#nodes = new Uint8Array(count * DIGEST_BYTES)
    this.#dirty = new Uint8Array(count)
    // an empty tree's inner nodes are hashes of empty children: computed like any other
    for (let i = (1 << depth) - 1; i >= 1; i--) this.#dirty[i] = 1
  }

  /** Buckets (leaves). */
  get buckets (): number { return 1 << this.depth }

  /** Records added and not removed (added minus removed). */
  get records (): number { return this.#records }

  /** A record stored: its digest goes into its entity's bucket. */
  add (entity: string, digest: Uint8Array): void {
    this.#toggle(entity, digest)
    this.#records++
  }

  /** A record removed (truncated, or replaced: remove the old digest, add the new one). */
  remove (entity: string, digest: Uint8Array): void {
    this.#toggle(entity, digest)
    this.#records--
  }

  /** A copy of the leaves (2^depth × 32 bytes, bucket order): with `records`, all a tree needs to
   * be made again (`fromLeaves`). */
  leaves (): Uint8Array {
    const first = (1 << this.depth) * DIGEST_BYTES
    return this.#nodes.slice(first, first * 2)
  }

  /** A tree of `depth` with these leaves (as `leaves()` gave them) and `records` records; its inner
   * nodes are hashed when first asked. */
  static fromLeaves (depth: number, leaves: Uint8Array, records: number): MerkleTree {
    const tree = new MerkleTree(depth)
    const first = (1 << depth) * DIGEST_BYTES
    if (leaves.byteLength !== first) throw new RangeError(`a tree of depth ${depth} has ${first} bytes of leaves, got ${leaves.byteLength}`)
    if (!Number.isSafeInteger(records) || records < 0) throw new RangeError(`a tree's record count must be a whole number, got ${records}`)
    tree.#nodes.set(leaves, first)
    tree.#records = records
    return tree
  }

  /** XORs `delta` into the entity's bucket and adds `records` to the count: what it holds of the
   * entity made what another account of its records says (delta: the XOR of both accounts). */
  adjust (entity: string, delta: Uint8Array, records: number): void {
    this.#toggle(entity, delta)
    this.#records += records
  }

  /** The root: equal on two replicas when they hold the same records (with the same content). */
  root (): Uint8Array {
    return this.#hashOf(1).slice()
  }

  /** The hashes of one level (0: the root; `depth`: the leaves), `from` on, at most `count`. */
  level (level: number, from = 0, count = 1 << level): Uint8Array[] {
    if (!Number.isInteger(level) || level < 0 || level > this.depth) throw new RangeError(`level must be 0-${this.depth}, got ${level}`)
    const width = 1 << level
    const out: Uint8Array[] = []
    for (let i = Math.max(0, from); i < Math.min(width, from + count); i++) out.push(this.#hashOf(width + i).slice())
    return out
  }

  /** The hash of node `index` of `level`. */
  node (level: number, index: number): Uint8Array {
    const [hash] = this.level(level, index, 1)
    if (hash === undefined) throw new RangeError(`no node ${index} at level ${level}`)
    return hash
  }

  #toggle (entity: string, digest: Uint8Array): void {
    if (digest.byteLength !== DIGEST_BYTES) throw new RangeError(`a record digest is ${DIGEST_BYTES} bytes, got ${digest.byteLength}`)
    let i = (1 << this.depth) + bucketOf(entity, this.depth)
    const at = i * DIGEST_BYTES
    for (let b = 0; b < DIGEST_BYTES; b++) this.#nodes[at + b] = (this.#nodes[at + b] as number) ^ (digest[b] as number)
    // the path to the root is stale; a node already dirty has a dirty path above it
    for (i >>= 1; i >= 1 && this.#dirty[i] === 0; i >>= 1) this.#dirty[i] = 1
  }

  #hashOf (i: number): Uint8Array {
    if (this.#dirty[i] === 1) {
      this.#hashOf(2 * i)
      this.#hashOf(2 * i + 1)
      // the two children lie side by side: one hash of the 64 bytes, without a Hash object
      const h = hash('sha256', this.#nodes.subarray(2 * i * DIGEST_BYTES, (2 * i + 2) * DIGEST_BYTES), 'buffer')
      this.#nodes.set(h, i * DIGEST_BYTES)
      this.#dirty[i] = 0
    }
    return this.#nodes.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES)
  }
}

/** The bucket (leaf) of an entity's records in a tree of `depth`: FNV-1a of the entity id, the
 * same on every replica. All of an entity's records share a bucket, so a differing bucket names
 * the few entities to compare. */
export function bucketOf (entity: string, depth: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < entity.length; i++) h = Math.imul(h ^ entity.charCodeAt(i), 0x01000193)
  return (h >>> 0) & ((1 << depth) - 1)
}

/** How another replica's tree is asked for a level's hashes (over the mesh, or in-process). */
export type LevelReader = (level: number, from: number, count: number) => Promise<Uint8Array[]> | Uint8Array[]

/**
 * The buckets where two trees of the same depth differ, found by descending from the root only
 * into differing nodes. `compared` counts the node hashes fetched from the other side: about
 * 2 × depth per differing bucket, and 1 when nothing differs.
 */
export async function diffLeaves (local: MerkleTree, remote: LevelReader, remoteDepth: number): Promise<{ buckets: number[], compared: number }> {
  if (remoteDepth !== local.depth) throw new RangeError(`Merkle trees of depth ${local.depth} and ${remoteDepth} cannot be compared`)
  let compared = 1
  const [theirRoot] = await remote(0, 0, 1)
  if (theirRoot !== undefined && equal(theirRoot, local.root())) return { buckets: [], compared }
  let differing = [0]
  for (let level = 1; level <= local.depth; level++) {
    const next: number[] = []
    const parents = new Set(differing)
    // the children of the differing nodes, asked in runs (a few equal hashes more rather than one
    // more round trip when differing nodes lie close together)
    for (const run of runsOfChildren(differing)) {
      const theirs = await remote(level, run.from, run.count)
      compared += theirs.length
      const ours = local.level(level, run.from, run.count)
      for (let k = 0; k < run.count; k++) {
        const child = run.from + k
        if (!parents.has(child >> 1)) continue
        const a = ours[k]
        const b = theirs[k]
        if (a === undefined || b === undefined || !equal(a, b)) next.push(child)
      }
    }
    differing = next
  }
  return { buckets: differing, compared }
}

/** Children of these nodes (ascending) in runs of contiguous indices, gaps of up to TREE_RUN_GAP
 * children bridged, a run at most TREE_RUN_MAX long. */
function runsOfChildren (parents: readonly number[]): Array<{ from: number, count: number }> {
  const out: Array<{ from: number, count: number }> = []
  for (const parent of parents) {
    const first = 2 * parent
    const last = out[out.length - 1]
    if (last !== undefined && first - (last.from + last.count) <= TREE_RUN_GAP && first + 2 - last.from <= TREE_RUN_MAX) last.count = first + 2 - last.from
    else out.push({ from: first, count: 2 })
  }
  return out
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** The root of an empty partition tree (computed once: a pure function of the tree's depth). */
let EMPTY_ROOT: string | undefined
/** The Merkle root (hex) of a partition replica that holds no record of it. */
export function emptyPartitionRoot (): string {
  EMPTY_ROOT ??= Buffer.from(new MerkleTree(REPLICA_MERKLE_DEPTH).root()).toString('hex')
  return EMPTY_ROOT
}
