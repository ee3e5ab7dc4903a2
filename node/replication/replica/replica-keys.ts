/**
 * The keys of a replica's values in the node's LevelDB. Every key starts with its partition, so one
 * partition's records are one contiguous, sorted range (what the Merkle trees of anti-entropy walk):
 *
 * | key | value |
 * | --- | --- |
 * | `r\0<partition, 4 hex>\0<entity>\0<seq, 16 hex>` | a record: `{ e: epoch, v: event }` |
 * | `e\0<partition>\0<entity>` | the entity's replica state (promise, head, segments) |
 * | `p\0<partition>\0<entity>` | its latest snapshot `{ seq, state }` |
 * | `q\0<another key>` | a damaged value's copy, kept by scrub until it is repaired |
 * | `m\0partitions` | the partition count, fixed at the first start |
 * | `m\0pv\0<partition hex4>` | the partition's configuration version (ReplicaVersions), decimal |
 */
export const PARTITIONS_KEY = 'm\x00partitions'
/** A partition's configuration version on this replica (docs/replication.md, "Roster versions"). */
export function versionKey (p: number): string { return `m\x00pv\x00${hex4(p)}` }
export function encodeVersion (version: number): Uint8Array { return new TextEncoder().encode(String(version)) }
/** A stored version (0: none); throws on a value that is not one (never stored so). */
export function decodeVersion (value: Uint8Array | undefined): number {
  if (value === undefined) return 0
  const v = Number(new TextDecoder().decode(value))
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`a stored configuration version does not read: ${JSON.stringify(new TextDecoder().decode(value).slice(0, 20))}`)
  return v
}
/** Record keys start with `r`. */
export const RECORD_KEY_CHAR = 0x72

export function hex4 (n: number): string { return n.toString(16).padStart(4, '0') }
export function recordKey (p: number, entity: string, seq: number): string { return `r\x00${hex4(p)}\x00${entity}\x00${seq.toString(16).padStart(16, '0')}` }
/** Past the last record key an entity may have (the upper bound of its range). */
export function recordEnd (p: number, entity: string): string { return `r\x00${hex4(p)}\x00${entity}\x00${'f'.repeat(16)}` }
export function stateKey (p: number, entity: string): string { return `e\x00${hex4(p)}\x00${entity}` }
export function snapshotKey (p: number, entity: string): string { return `p\x00${hex4(p)}\x00${entity}` }
export function quarantineKey (key: string): string { return `q\x00${key}` }
/** The seq of a record key. */
export function seqOf (key: string): number { return Number.parseInt(key.slice(key.length - 16), 16) }
/** `r\0<p>\0<entity>\0<seq>` → the entity. */
export function entityOfRecordKey (key: string): string { return key.slice(7, key.length - 17) }
/** `r\0<p>…` (any kind of key but `m` and `q`) → the partition. */
export function partitionOfKey (key: string): number { return Number.parseInt(key.slice(2, 6), 16) }

/** What a stored key is, for scrub: a record (with its partition, entity and seq) or another value. */
export function describeKey (key: string): { kind: 'record', partition: number, entity: string, seq: number } | { kind: 'state' | 'snapshot', partition: number, entity: string } | { kind: 'other' } {
  const c = key.charCodeAt(0)
  if (key.charCodeAt(1) !== 0 || key.length < 8) return { kind: 'other' }
  const partition = partitionOfKey(key)
  if (c === RECORD_KEY_CHAR && key.length > 24) return { kind: 'record', partition, entity: entityOfRecordKey(key), seq: seqOf(key) }
  if (c === 0x65) return { kind: 'state', partition, entity: key.slice(7) }
  if (c === 0x70) return { kind: 'snapshot', partition, entity: key.slice(7) }
  return { kind: 'other' }
}
