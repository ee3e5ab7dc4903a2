import { ChunkPool, PartitionStreamWriter, wholeValues } from '../../node/backup/index.ts'
import type { BackupKey, ChunkerOptions, EntityBlock, EntityCut, SealedChunk } from '../../node/backup/index.ts'
import { ReplicaValues, partitionOf, recordKey, sealedRecord } from '../../node/replication/index.ts'
import type { StoredRecord, StoredSnapshot } from '../../node/replication/index.ts'
import { seal } from '../../node/storage/index.ts'

const values = new ReplicaValues()

/** An entity's cut as a backup reads it: its records as the store keeps them in `partition`
 * (default 0: a stream's records are checked against the partition its session is told), or in
 * the entity's own partition among `partitions`. */
export function storedCut (entity: string, records: readonly StoredRecord[], opts: { head?: number, headEpoch?: number, trimmed?: { floor: number, snapshot: StoredSnapshot }, partition?: number, partitions?: number } = {}): EntityCut {
  const p = opts.partitions !== undefined ? partitionOf(entity, opts.partitions) : opts.partition ?? 0
  const head = opts.head ?? records.at(-1)?.seq ?? 0
  const headEpoch = opts.headEpoch ?? records.at(-1)?.epoch ?? 0
  return {
    entity,
    head,
    headEpoch,
    values: records.map((r) => seal(recordKey(p, entity, r.seq), values.encodeRecord(r))),
    from: 'n1',
    ...(opts.trimmed !== undefined && { trimmed: opts.trimmed })
  }
}

/** Records as plain objects (a block's come back as sealed records, their events behind getters). */
export function plain (records: readonly StoredRecord[]): StoredRecord[] {
  return records.map((r) => ({ seq: r.seq, epoch: r.epoch, event: r.event, ...(r.rev !== undefined && { rev: r.rev }), ...(r.revEpoch !== undefined && { revEpoch: r.revEpoch }) }))
}

/** Cuts written as one partition stream on `pool`'s workers: its chunks in order, its blocks. */
export async function writeStream (pool: ChunkPool, key: BackupKey, cuts: readonly EntityCut[], chunker?: ChunkerOptions, known: ReadonlyMap<string, string> = new Map(), partition = 0): Promise<{ chunks: SealedChunk[], blocks: readonly EntityBlock[], bytes: number }> {
  const writer = new PartitionStreamWriter(() => pool.session(key, partition, known, chunker))
  const chunks: SealedChunk[] = []
  for (const cut of cuts) {
    await writer.add(cut)
    chunks.push(...writer.ready())
  }
  const end = await writer.finish()
  return { chunks: [...chunks, ...end.chunks], blocks: end.blocks, bytes: end.bytes }
}

/** One pool for a spec's streams, closed after it. */
export function useChunkPool (): { readonly pool: ChunkPool } {
  const holder: { pool: ChunkPool } = { pool: new ChunkPool(2) }
  after(async () => { await holder.pool.close() })
  return holder
}

/** A cut's records decoded from its stored values (plain objects). */
export function cutRecords (cut: EntityCut): StoredRecord[] {
  const floor = cut.trimmed?.floor ?? 1
  return plain(wholeValues(cut).map((v, i) => {
    const r = sealedRecord(floor + i, v)
    if (r === undefined) throw new Error(`${cut.entity}: value ${floor + i} is not a sealed record`)
    return r
  }))
}
