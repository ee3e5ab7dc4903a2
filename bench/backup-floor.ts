/**
 * What LevelDB alone costs on this machine for what a backup reads and a full restore writes: the
 * floor under both, measured in the same run as ours and restic's (`npm run bench -- backup`).
 *
 * - **Write:** the same records, as a replica stores them (each `{ e, v }` encoded and sealed under
 *   its key, the keys of the replicas' layout), put into three LevelDB stores at once in 2 MiB
 *   batches, unsynced but the last (a restore's writes are made durable at its end). A full restore
 *   writes each record on three replicas; here nothing else is done: no chunk is read, opened or
 *   carried over the mesh, no record framed, no state written. The values are made before the clock
 *   starts.
 * - **Read:** one of those stores read back, its record values only (no key), a million bytes a
 *   step from the native side: what a backup must read of its own replica before a byte is chunked.
 *
 * The stores have the node's options (`LevelStore`: its write buffer, LevelDB's defaults otherwise).
 */
import { ClassicLevel } from 'classic-level'
import { join } from 'node:path'
import { createPlainCodec } from '../actors/index.ts'
import { DEFAULT_PARTITIONS } from '../node/replication/constants.ts'
import { recordKey } from '../node/replication/replica/replica-keys.ts'
import { STORE_WRITE_BUFFER_BYTES, seal } from '../node/storage/index.ts'
import { READ_STEP_BYTES } from '../node/storage/constants.ts'
import { MIB, roomPosts } from './backup-common.ts'

const REPLICAS = 3
const BATCH_BYTES = 2 * MIB

export interface StoreFloor {
  /** Three stores written with every record. */
  writeMs: number
  /** One store's records read back. */
  readMs: number
  /** The record values read back (seals included). */
  readBytes: number
}

/** The floor for `rooms` rooms of `perRoom` posts each (roomPosts, as the bench's rooms), in `dir`. */
export async function storeFloor (dir: string, rooms: number, perRoom: number): Promise<StoreFloor> {
  const codec = createPlainCodec()
  const dbs = Array.from({ length: REPLICAS }, (_, i) => new ClassicLevel<string, Uint8Array>(join(dir, `floor-${i}`), { keyEncoding: 'utf8', valueEncoding: 'view', writeBufferSize: STORE_WRITE_BUFFER_BYTES }))
  try {
    for (const db of dbs) await db.open()
    let writeMs = 0
    for (let r = 0; r < rooms; r++) {
      const entity = `room/b${r}`
      const partition = r % DEFAULT_PARTITIONS
      const batches: Array<Array<{ type: 'put', key: string, value: Uint8Array }>> = [[]]
      let bytes = 0
      for (const p of roomPosts(0, perRoom)) {
        const key = recordKey(partition, entity, p.seq)
        const value = seal(key, codec.encode({ e: p.epoch, v: p.event }))
        if (bytes + value.byteLength > BATCH_BYTES && bytes > 0) {
          batches.push([])
          bytes = 0
        }
        ;(batches.at(-1) as Array<{ type: 'put', key: string, value: Uint8Array }>).push({ type: 'put', key, value })
        bytes += value.byteLength
      }
      const last = r === rooms - 1
      const started = performance.now()
      await Promise.all(dbs.map(async (db) => {
        for (const [i, ops] of batches.entries()) await db.batch(ops, { sync: last && i === batches.length - 1 })
      }))
      writeMs += performance.now() - started
    }
    // (closed and opened again: LevelDB finishes merging what was written before it closes, so
    // the read is not slowed by the writes' merges)
    for (const db of dbs) await db.close()
    await (dbs[0] as ClassicLevel<string, Uint8Array>).open()
    const started = performance.now()
    let readBytes = 0
    const iterator = (dbs[0] as ClassicLevel<string, Uint8Array>).iterator({ gte: 'r\x00', lt: 'r\x01', keys: false, highWaterMarkBytes: READ_STEP_BYTES })
    try {
      for (;;) {
        const entries = await iterator.nextv(1_000)
        if (entries.length === 0) break
        for (const e of entries) readBytes += (e[1] as Uint8Array).byteLength
      }
    } finally {
      await iterator.close()
    }
    return { writeMs, readMs: performance.now() - started, readBytes }
  } finally {
    for (const db of dbs) await db.close()
  }
}
