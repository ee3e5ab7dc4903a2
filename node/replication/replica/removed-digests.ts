import { SEAL_HEADER_BYTES, sealDigest } from '../../storage/index.ts'
import type { LevelStore } from '../../storage/index.ts'
import { recordEnd, recordKey, seqOf } from './replica-keys.ts'
import type { ReplicaChange } from './replica-storage.ts'

/**
 * The records a change removes from an entity's log on a replica's store, with the seal digests
 * they leave the Merkle tree and the kept digests with (read before the change's batch: the writes
 * of one entity come one at a time, so they are still the ones on disk): those below a trim's floor
 * (`below`: their seqs, deleted by the batch), those a rewrite replaces, and those a truncation
 * removes (the last first, so that the kept bound on the entity's last seq follows them down).
 */
export async function removedDigests (store: LevelStore, p: number, entity: string, change: ReplicaChange): Promise<{ removed: Array<[number, Uint8Array]>, below: number[] }> {
  const removed: Array<[number, Uint8Array]> = []
  const below: number[] = []
  if (change.removeBelow !== undefined && change.removeBelow > 1) {
    for await (const [key, digest] of store.digests({ gte: recordKey(p, entity, 0), lte: recordKey(p, entity, change.removeBelow - 1) })) {
      removed.push([seqOf(key), digest])
      below.push(seqOf(key))
    }
  }
  const replaced = change.replace ?? []
  if (replaced.length > 0) {
    const raws = await store.getManyRaw(replaced.map((r) => recordKey(p, entity, r.seq)))
    replaced.forEach((r, i) => {
      const raw = raws[i]
      if (raw !== undefined && raw.byteLength >= SEAL_HEADER_BYTES) removed.push([r.seq, Uint8Array.from(sealDigest(raw))])
    })
  }
  if (change.removeFrom !== undefined) {
    const after: Array<[number, Uint8Array]> = []
    for await (const [key, digest] of store.digests({ gte: recordKey(p, entity, change.removeFrom), lte: recordEnd(p, entity) })) after.push([seqOf(key), digest])
    // (one at a time: a long tail spread into push's arguments would overflow the stack)
    for (let i = after.length - 1; i >= 0; i--) removed.push(after[i] as [number, Uint8Array])
  }
  return { removed, below }
}
