import type { LevelStore, StoreOp } from '../../storage/index.ts'
import { withRecords } from '../journal/log-summary.ts'
import { recordKey, snapshotKey, stateKey } from './replica-keys.ts'
import type { ReplicaValues } from './replica-values.ts'

/**
 * Upgrades a store of format 1 (one journal per entity, keys `j\0<entity>\0<seq>` and
 * `s\0<entity>`) in place to this replica's keys: its records become this replica's, of epoch 1
 * (promised to the activation `format-1`), one entity per atomic batch, so a crash half-way
 * resumes where it stopped; the store's format is written last.
 */
export async function upgradeFromFormat1 (store: LevelStore, values: ReplicaValues, partitionOf: (entity: string) => number): Promise<void> {
  const entities = new Set<string>()
  for (const key of await store.keys({ gte: 'j\x00', lte: 'j\x00\xff' })) entities.add(key.slice(2, key.lastIndexOf('\x00')))
  for (const key of await store.keys({ gte: 's\x00', lte: 's\x00\xff' })) entities.add(key.slice(2))
  for (const entity of entities) {
    const p = partitionOf(entity)
    const ops: StoreOp[] = []
    let head = 0
    for await (const [key, value] of store.range({ gte: `j\x00${entity}\x00`, lte: `j\x00${entity}\x00\xff` })) {
      const seq = Number.parseInt(key.slice(key.lastIndexOf('\x00') + 1), 16)
      ops.push({ type: 'del', key })
      ops.push({ type: 'put', key: recordKey(p, entity, seq), value: values.encode({ e: 1, v: values.decode(key, value) }) })
      head = seq
    }
    let snapshotSeq = 0
    const old = await store.get(`s\x00${entity}`)
    if (old !== undefined) {
      const snap = values.decode(`s\x00${entity}`, old) as { seq: number, state: unknown }
      ops.push({ type: 'del', key: `s\x00${entity}` })
      ops.push({ type: 'put', key: snapshotKey(p, entity), value: values.encode(snap) })
      snapshotSeq = snap.seq
    }
    const segments = head === 0 ? [] : withRecords([], 1, [1])
    ops.push({ type: 'put', key: stateKey(p, entity), value: values.encode({ promised: head === 0 ? 0 : 1, promisedBy: 'format-1', head, headEpoch: head === 0 ? 0 : 1, segments, snapshotSeq }) })
    await store.write(ops)
  }
  await store.write([store.formatOp()])
  store.upgraded()
}
