import { READ_PAGE_RECORDS, ReplicaValues, STORED_READ_BATCH, floorOf, recordKey, storedRecordEpoch } from '../replication/index.ts'
import type { EntitySummary, PartitionPeer, StoredRecord, StoredSnapshot } from '../replication/index.ts'
import { seal } from '../storage/index.ts'
import { BACKUP_ENTITY_PAGE } from './constants.ts'
import { BackupSourceError, StreamRestartError } from './errors.ts'

/** One entity as a backup takes it: its journal from its floor (seq 1 unless trimmed) to the cut. */
export interface EntityCut {
  readonly entity: string
  /** The last seq taken, and the epoch of its record. */
  readonly head: number
  readonly headEpoch: number
  /** floor to head, in order, without a gap, as the store keeps them: each record's stored value,
   * seal included (`[seal id][SHA-256(key ‖ payload)][{ e, v, … }]` under its record key). Read
   * as they are from this node's own replica; a record read over the mesh is encoded and sealed
   * as a store would keep it. Streamed (`stream`): pages of them, read from this node's own
   * replica as they are taken, checked at the end (StreamRestartError). */
  readonly values: readonly Uint8Array[] | AsyncIterable<readonly Uint8Array[]>
  /** A trimmed journal's floor (docs/replication.md, "Rewrites and trims") and the snapshot that
   * covers what is below it (its seq ≥ floor − 1, ≤ head). Absent: not trimmed (floor 1). */
  readonly trimmed?: { readonly floor: number, readonly snapshot: StoredSnapshot }
  /** The replica's snapshot, when it held one at or below the head (a restore that cuts the
   * journal back to the backup puts it in place of one built past it: cutToBackup). */
  readonly latest?: StoredSnapshot
  /** The replica they were read from. */
  readonly from: string
}

/** A cut's values as pages: a streamed cut's own, or the one page of a cut read whole. */
export function pagesOf (values: EntityCut['values']): AsyncIterable<readonly Uint8Array[]> | Iterable<readonly Uint8Array[]> {
  return Symbol.asyncIterator in values ? values : [values]
}

/** A cut read whole's values (one that is streamed has none to give: a TypeError). */
export function wholeValues (cut: EntityCut): readonly Uint8Array[] {
  if (Symbol.asyncIterator in cut.values) throw new TypeError(`${cut.entity}: its cut is streamed, not read whole`)
  return cut.values
}

export interface PartitionCutOptions {
  /** Replicas that must list the partition whole: the fence quorum F, so that every record
   * acknowledged before the listing (on W replicas, W + F > R) is on one of them. */
  readonly quorum: number
  /** Stops the reading (the job was cancelled): the generator throws the signal's reason. */
  readonly signal?: AbortSignal
  /** Entities left out (the backup catalog: what backups exist is not itself backed up). */
  readonly skip?: (entity: string) => boolean
  /** The replica read first among those holding the same log (this node's own: no mesh). */
  readonly prefer?: string
  /**
   * Told the cut (each entity's head and head epoch) once the listing is done; when it answers
   * true, nothing is read and nothing yielded (the caller has this partition as it is already: an
   * entity whose last record is the same seq of the same epoch holds the same records, as a log
   * holding a record holds every record before it as the owner of its epoch wrote them).
   */
  readonly unchanged?: (cut: ReadonlyMap<string, { readonly head: number, readonly headEpoch: number }>) => boolean
  /** false: every replica is read as a replica reads (each seal checked, a damaged record read from
   * the next replica holding the same log), this node's own too, rather than as stored. @default true */
  readonly stored?: boolean
  /** true: an entity read as stored from this node's own replica comes as pages read while they
   * are taken (`values` an async iterable; each page dead before the next is read), so that memory
   * stays flat however long a journal is. What the whole read checks before it yields (no record
   * missing, the last one of the listing's epoch) is then only known at its end: a cut that fails
   * it throws StreamRestartError from its pages, after some of them were taken. @default false */
  readonly stream?: boolean
}

/**
 * Reads one partition for a backup: every entity its replicas hold, each cut at the head of its
 * best log — the one recovery would choose among the replicas that answered (the highest epoch at
 * the head, then the highest seq) — and read, seq 1 to that head, from a replica holding that log.
 * Records written after the listing are left out (the next backup takes them); the cut of each
 * entity is a prefix of its journal as an owner recovering now would keep it.
 *
 * `peers`: the partition's replicas by node (the node's own replica called in-process, the others
 * through their shard holders). A replica that fails while listing is left out; fewer than
 * `quorum` listing the partition whole fails it (BackupSourceError: the job tries it again). A
 * replica that fails while an entity is read is replaced by the next one holding the same log.
 */
export async function * readPartitionCut (partition: number, peers: ReadonlyMap<string, PartitionPeer>, opts: PartitionCutOptions): AsyncGenerator<EntityCut> {
  const listed = new Map<string, Array<{ node: string, summary: EntitySummary['summary'] }>>()
  const failures: string[] = []
  let answered = 0
  for (const [node, peer] of peers) {
    opts.signal?.throwIfAborted()
    try {
      for (let after = ''; ;) {
        const page = await peer.entities(after, BACKUP_ENTITY_PAGE)
        for (const { entity, summary } of page) {
          if (summary.head === 0 || opts.skip?.(entity) === true) continue   // promised, never written: nothing to keep
          const holders = listed.get(entity) ?? []
          holders.push({ node, summary })
          listed.set(entity, holders)
        }
        if (page.length < BACKUP_ENTITY_PAGE) break
        after = (page.at(-1) as EntitySummary).entity
      }
      answered++
    } catch (err) {
      failures.push(`${node}: ${(err as Error).message}`)
    }
  }
  if (answered < opts.quorum) {
    throw new BackupSourceError(`partition ${partition}: ${answered} of its ${peers.size} replicas listed it, ${opts.quorum} must (${failures.join('; ') || 'too few replicas'})`)
  }
  if (opts.unchanged !== undefined) {
    const cut = new Map([...listed].map(([entity, holders]) => {
      const best = holders.reduce((a, b) => (b.summary.headEpoch > a.summary.headEpoch || (b.summary.headEpoch === a.summary.headEpoch && b.summary.head > a.summary.head)) ? b : a)
      return [entity, { head: best.summary.head, headEpoch: best.summary.headEpoch }] as const
    }))
    if (opts.unchanged(cut)) return
  }
  for (const entity of [...listed.keys()].sort()) {
    opts.signal?.throwIfAborted()
    const preferred = (node: string): number => node === opts.prefer ? 0 : 1
    const holders = (listed.get(entity) ?? []).sort((a, b) => b.summary.headEpoch - a.summary.headEpoch || b.summary.head - a.summary.head || preferred(a.node) - preferred(b.node))
    const best = holders[0] as (typeof holders)[number]
    const { head, headEpoch } = best.summary
    const reasons: string[] = []
    let cut: EntityCut | undefined
    // only replicas holding the same log end (same seq, same epoch) can serve the cut
    const same = holders.filter((h) => h.summary.head === head && h.summary.headEpoch === headEpoch)
    // and the newest snapshot among them (an owner sends its snapshots to the replicas in step
    // then: one fed later has an older one, or none)
    const newest = same.reduce((a, b) => b.summary.snapshotSeq > a.summary.snapshotSeq ? b : a)
    const latest = newest.summary.snapshotSeq > 0 ? peers.get(newest.node) : undefined
    for (const holder of same) {
      try {
        cut = await readCut(partition, peers.get(holder.node) as PartitionPeer, entity, holder.summary, opts.signal, holder.node, opts.stored !== false, latest, opts.stream === true)
        break
      } catch (err) {
        if (opts.signal?.aborted === true) throw err
        reasons.push(`${holder.node}: ${(err as Error).message}`)
      }
    }
    if (cut === undefined) throw new BackupSourceError(`partition ${partition}: ${entity} could not be read to seq ${head} from any replica holding it (${reasons.join('; ')})`)
    yield cut
  }
}

/** One replica's cut of an entity: its records from its floor, and the snapshot covering the
 * floor when it was trimmed. */
async function readCut (partition: number, peer: PartitionPeer, entity: string, summary: EntitySummary['summary'], signal: AbortSignal | undefined, from: string, stored: boolean,
  snapshots: PartitionPeer | undefined, stream: boolean): Promise<EntityCut> {
  const { head, headEpoch } = summary
  const floor = floorOf(summary)
  let trimmed: EntityCut['trimmed']
  // the snapshot of the replica holding the newest among those of the same log (this one's where
  // that one does not answer); one written after the listing, past the head, is the next backup's
  const usable = (s: StoredSnapshot | null | undefined): StoredSnapshot | undefined => s !== undefined && s !== null && s.seq <= head && s.seq >= floor - 1 ? s : undefined
  const other = snapshots !== undefined && snapshots !== peer ? usable(await snapshots.snapshot?.(entity).catch(() => undefined)) : undefined
  const latest = other ?? (summary.snapshotSeq > 0 || floor > 1 ? usable(await peer.snapshot?.(entity)) : undefined)
  if (floor > 1) {
    if (latest === undefined) throw new BackupSourceError(`${entity}: the replica trimmed it below ${floor} and holds no snapshot covering that up to its head`)
    trimmed = { floor, snapshot: latest }
  }
  const extra = { from, ...(trimmed !== undefined && { trimmed }), ...(latest !== undefined && { latest }) }
  if (stored && stream && peer.readStored !== undefined) return { entity, head, headEpoch, values: storedPages(peer, entity, floor, head, headEpoch, signal), ...extra }
  const values = (stored ? await readStored(peer, entity, floor, head, signal) : undefined) ?? sealAll(partition, entity, floor, await readLog(peer, entity, floor, head, signal))
  // a log that changed under the listing (a new owner's recovery rewrote the head) is read again elsewhere
  const last = values.at(-1)
  const lastEpoch = last === undefined ? headEpoch : storedRecordEpoch(last)
  if (lastEpoch !== headEpoch) throw new BackupSourceError(`${entity}: record ${head} has epoch ${lastEpoch ?? 'unreadable'}, the listing said ${headEpoch}`)
  return { entity, head, headEpoch, values, ...extra }
}

/** floor..head of this node's own replica as stored, a page at a time as they are taken; a record
 * missing, or a last one not of `headEpoch`, fails the read at that point (StreamRestartError). */
async function * storedPages (peer: PartitionPeer, entity: string, floor: number, head: number, headEpoch: number, signal: AbortSignal | undefined): AsyncGenerator<readonly Uint8Array[]> {
  const read = peer.readStored as NonNullable<PartitionPeer['readStored']>
  let last: Uint8Array | undefined
  for (let at = floor; at <= head; at += STORED_READ_BATCH * 8) {
    signal?.throwIfAborted()
    const page = await read(entity, at, Math.min(STORED_READ_BATCH * 8, head - at + 1))
    if (page === undefined) throw new StreamRestartError(`${entity}: this node's replica misses a record of ${at} to ${Math.min(at + STORED_READ_BATCH * 8 - 1, head)} (it listed a head of ${head})`)
    last = page.at(-1) ?? last
    yield page
  }
  const lastEpoch = last === undefined ? headEpoch : storedRecordEpoch(last)
  if (lastEpoch !== headEpoch) throw new StreamRestartError(`${entity}: record ${head} has epoch ${lastEpoch ?? 'unreadable'}, the listing said ${headEpoch}`)
}

/** floor..head as the replica's store keeps them, when it is this node's own (undefined: not
 * this node's, or a record missing, which the checked read then finds). */
async function readStored (peer: PartitionPeer, entity: string, floor: number, head: number, signal: AbortSignal | undefined): Promise<Uint8Array[] | undefined> {
  if (peer.readStored === undefined) return undefined
  const out: Uint8Array[] = []
  for (let at = floor; at <= head; at += STORED_READ_BATCH * 8) {
    signal?.throwIfAborted()
    const page = await peer.readStored(entity, at, Math.min(STORED_READ_BATCH * 8, head - at + 1))
    if (page === undefined) return undefined
    for (const v of page) out.push(v)
  }
  return out
}

const values = new ReplicaValues()

/** Records read over the mesh, as a store keeps them (encoded and sealed under their keys). */
function sealAll (partition: number, entity: string, floor: number, records: readonly StoredRecord[]): Uint8Array[] {
  return records.map((r, i) => seal(recordKey(partition, entity, floor + i), values.encodeRecord(r)))
}

/** floor..head of one replica's log, checked: in order, without a gap. */
async function readLog (peer: PartitionPeer, entity: string, floor: number, head: number, signal: AbortSignal | undefined): Promise<StoredRecord[]> {
  const records: StoredRecord[] = []
  const count = head - floor + 1
  while (records.length < count) {
    signal?.throwIfAborted()
    const from = floor + records.length
    const page = await peer.read(entity, from, Math.min(READ_PAGE_RECORDS, count - records.length))
    if (page.length === 0) throw new BackupSourceError(`${entity}: the replica has no record ${from} (it listed a head of ${head})`)
    for (const record of page) {
      if (records.length === count) break   // written after the listing: the next backup's
      if (record.seq !== floor + records.length) throw new BackupSourceError(`${entity}: record ${record.seq} where ${floor + records.length} was due`)
      records.push(record)
    }
  }
  return records
}
