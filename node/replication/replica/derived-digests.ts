import { createPlainCodec } from '../../../actors/index.ts'
import type { LevelStore, StoreOp } from '../../storage/index.ts'
import { MerkleTree } from '../repair/merkle-tree.ts'
import { KeptDigests, xorInto } from './kept-digests.ts'
import type { KeptEntity } from './kept-digests.ts'
import { entityOfRecordKey, partitionOfKey, recordEnd, recordKey, seqOf } from './replica-keys.ts'

/**
 * What a replica store derives from its records and keeps in memory (each partition's Merkle tree,
 * each entity's kept digests), written at a clean stop and read at the next open instead of being
 * derived again from every record (3 µs a record: 7 s at 500 MiB of journals, over a minute at
 * 5 GiB, and every table of the store read into memory).
 *
 * It is only ever true of the store as it was at that stop, so the open that reads it deletes it
 * (fsynced) before it returns, before any record can be written: a store whose last stop was not
 * clean holds none, and its trees are derived again from the records.
 *
 * | key | value |
 * | --- | --- |
 * | `m\0derived\0marker` | `{ v, depth, partitions, trees, pages, records }` |
 * | `m\0derived\0t<partition, 4 hex>` | `{ records, leaves }`: a partition's tree |
 * | `m\0derived\0k<page, 8 hex>` | `[[entity, partition, digest, last, blocks or null, records], ...]` |
 */
const PREFIX = 'm\x00derived\x00'
const MARKER = `${PREFIX}marker`
const VERSION = 1
/** Bytes of kept span digests in one page of entities (a LevelDB value of a few MiB at most). */
const PAGE_BYTES = 4 * 1_048_576
/** Entities in one page at most (their ids and digests, when they keep no blocks). */
const PAGE_ENTITIES = 20_000

const codec = createPlainCodec()

/** Where a replica store's log lines go (the open's progress on a large store). */
export interface ReplicaStorageLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export interface DerivedState {
  readonly trees: Map<number, MerkleTree>
  readonly kept: { all: boolean, entities: Array<[string, KeptEntity]> }
  readonly records: number
}

/** The writes that keep `state` for the next open. */
export function derivedOps (depth: number, partitions: number, trees: ReadonlyMap<number, MerkleTree>, kept: DerivedState['kept']): StoreOp[] {
  const ops: StoreOp[] = []
  let records = 0
  for (const [p, tree] of trees) {
    records += tree.records
    ops.push({ type: 'put', key: `${PREFIX}t${p.toString(16).padStart(4, '0')}`, value: codec.encode({ records: tree.records, leaves: tree.leaves() }) })
  }
  let page: unknown[] = []
  let bytes = 0
  let pages = 0
  const flush = (): void => {
    ops.push({ type: 'put', key: `${PREFIX}k${pages.toString(16).padStart(8, '0')}`, value: codec.encode(page) })
    pages++
    page = []
    bytes = 0
  }
  for (const [entity, k] of kept.entities) {
    page.push([entity, k.partition, k.digest, k.last, k.blocks ?? null, k.count])
    bytes += 64 + entity.length + (k.blocks?.byteLength ?? 0)
    if (bytes >= PAGE_BYTES || page.length >= PAGE_ENTITIES) flush()
  }
  if (page.length > 0) flush()
  ops.push({ type: 'put', key: MARKER, value: codec.encode({ v: VERSION, depth, partitions, trees: trees.size, pages, records, all: kept.all }) })
  return ops
}

/**
 * Reads what the last clean stop kept and deletes it from the store (fsynced) before returning.
 * `state`: undefined when there is none (the last stop was not clean, or the store is new);
 * `unusable` says why one that was there could not be used (written by another version, for
 * another partition count or tree depth, or damaged): the caller derives the state again.
 */
export async function takeDerived (store: LevelStore, depth: number, partitions: number): Promise<{ state?: DerivedState, unusable?: string }> {
  const values = new Map<string, Uint8Array>()
  const keys: string[] = []
  let unusable: string | undefined
  try {
    for await (const [key, value] of store.range({ gte: PREFIX, lte: `${PREFIX}\xff` })) {
      keys.push(key)
      values.set(key, value)
    }
  } catch (err) {
    // a damaged value: what is left of it is deleted below, the state derived again
    unusable = `it could not be read (${(err as Error).message})`
    keys.push(...await store.keys({ gte: PREFIX, lte: `${PREFIX}\xff` }))
  }
  if (keys.length === 0) return {}
  await store.writeDurably([...new Set(keys)].map((key) => ({ type: 'del', key })))
  if (unusable !== undefined) return { unusable }
  try {
    return { state: parse(values, depth, partitions) }
  } catch (err) {
    return { unusable: (err as Error).message }
  }
}

function parse (values: ReadonlyMap<string, Uint8Array>, depth: number, partitions: number): DerivedState {
  const marker = values.get(MARKER)
  if (marker === undefined) throw new Error('its marker is missing')
  const m = codec.decode(marker) as { v?: unknown, depth?: unknown, partitions?: unknown, trees?: unknown, pages?: unknown, records?: unknown, all?: unknown }
  if (m.v !== VERSION) throw new Error(`it is of version ${String(m.v)}; this one reads ${VERSION}`)
  if (m.depth !== depth || m.partitions !== partitions) throw new Error(`it is of ${String(m.partitions)} partitions with trees of depth ${String(m.depth)}, not ${partitions} and ${depth}`)
  const trees = new Map<number, MerkleTree>()
  let records = 0
  for (const [key, value] of values) {
    if (!key.startsWith(`${PREFIX}t`)) continue
    const p = Number.parseInt(key.slice(PREFIX.length + 1), 16)
    if (!Number.isInteger(p) || p < 0 || p >= partitions) throw new Error(`it holds a tree of partition ${key.slice(PREFIX.length + 1)}`)
    const t = codec.decode(value) as { records?: unknown, leaves?: unknown }
    if (!(t.leaves instanceof Uint8Array) || typeof t.records !== 'number') throw new Error(`its tree of partition ${p} is not a tree`)
    trees.set(p, MerkleTree.fromLeaves(depth, Uint8Array.from(t.leaves), t.records))
    records += t.records
  }
  if (trees.size !== m.trees || records !== m.records) throw new Error(`it holds ${trees.size} trees of ${records} records; its marker says ${String(m.trees)} of ${String(m.records)}`)
  const entities: Array<[string, KeptEntity]> = []
  let pages = 0
  for (const [key, value] of values) {
    if (!key.startsWith(`${PREFIX}k`)) continue
    pages++
    const page = codec.decode(value)
    if (!Array.isArray(page)) throw new Error(`its page ${key.slice(PREFIX.length + 1)} of entities is not a list`)
    for (const row of page as unknown[]) entities.push(keptEntity(row, partitions))
  }
  if (pages !== m.pages) throw new Error(`it holds ${pages} pages of entities; its marker says ${String(m.pages)}`)
  if (typeof m.all !== 'boolean') throw new Error('its marker does not say whether every entity is kept')
  return { trees, kept: { all: m.all, entities }, records }
}

function keptEntity (row: unknown, partitions: number): [string, KeptEntity] {
  const shape = 'is not [entity, partition, digest, last, blocks, records]'
  if (!Array.isArray(row) || row.length !== 6) throw new Error(`an entity of it ${shape}`)
  const [entity, partition, digest, last, blocks, count] = row as unknown[]
  const ok = typeof entity === 'string' && Number.isInteger(partition) && (partition as number) >= 0 && (partition as number) < partitions &&
    digest instanceof Uint8Array && digest.byteLength === 32 && Number.isSafeInteger(last) && (last as number) >= 0 &&
    (blocks === null || (blocks instanceof Uint8Array && blocks.byteLength % 32 === 0)) && Number.isSafeInteger(count) && (count as number) >= 0
  if (!ok) throw new Error(`its entity ${JSON.stringify(String(entity)).slice(0, 80)} ${shape}`)
  return [entity, { partition: partition as number, digest: Uint8Array.from(digest), last: last as number, count: count as number, blocks: blocks === null ? undefined : Uint8Array.from(blocks) }]
}

/** How often a long derivation of the trees says how far it got. */
const BUILD_PROGRESS_MS = 10_000

/** Reads every record's seal digest (no record decoded) into `add`, telling `log` how far it got
 * every BUILD_PROGRESS_MS and when it is done, with `why` it derives them; the records read. */
export async function deriveFromRecords (store: LevelStore, add: (p: number, entity: string, seq: number, digest: Uint8Array) => void, log: ReplicaStorageLog | undefined, why: string): Promise<number> {
  const started = performance.now()
  let records = 0
  let told = started
  for await (const batch of store.digestBatches({ gte: 'r\x00', lte: 'r\x00\xff' })) {
    for (const [key, digest] of batch) add(partitionOfKey(key), entityOfRecordKey(key), seqOf(key), digest)
    records += batch.length
    if (log !== undefined && performance.now() - told >= BUILD_PROGRESS_MS) {
      told = performance.now()
      log.info({ records, seconds: Math.round((told - started) / 1000) }, `deriving the replicas' Merkle trees from their records (${why}): ${records} records read so far`)
    }
  }
  const ms = performance.now() - started
  if (log !== undefined && records > 0) log.info({ records, ms: Math.round(ms) }, `the replicas' Merkle trees were derived from ${records} records in ${(ms / 1000).toFixed(1)} s (${why})`)
  return records
}

/** What the entity's records on disk say of its digests (KeptDigests' account of them alone;
 * undefined when it holds none). */
export async function diskDigests (store: LevelStore, p: number, entity: string): Promise<KeptEntity | undefined> {
  const disk = new KeptDigests()
  for await (const batch of store.digestBatches({ gte: recordKey(p, entity, 0), lte: recordEnd(p, entity) })) {
    for (const [key, digest] of batch) disk.added(p, entity, seqOf(key), digest)
  }
  return disk.get(entity)
}

/** The XOR of the record digests of each span of `span` seqs in [from, to], read from the store
 * (LevelReplicaStorage.spanDigests where the kept ones cannot say). */
export async function readSpanDigests (store: LevelStore, p: number, entity: string, from: number, to: number, span: number): Promise<Uint8Array[]> {
  const count = Math.ceil((to - from + 1) / span)
  const out: Uint8Array[] = []
  for await (const batch of store.digestBatches({ gte: recordKey(p, entity, Math.max(1, from)), lte: to >= Number.MAX_SAFE_INTEGER ? recordEnd(p, entity) : recordKey(p, entity, to) })) {
    for (const [key, d] of batch) {
      const i = Math.floor((seqOf(key) - from) / span)
      while (out.length <= i) out.push(new Uint8Array(32))
      xorInto(out[i] as Uint8Array, 0, d)
    }
  }
  while (out.length < count) out.push(new Uint8Array(32))
  return out
}
