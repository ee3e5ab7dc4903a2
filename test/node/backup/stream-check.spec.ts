import { expect } from 'chai'
import { StoredStreamCheck } from '../../../node/backup/stream-check.ts'
import { storedCut, useChunkPool, writeStream } from '../../helpers/stored-cuts.ts'
import { BackupKey, openChunk } from '../../../node/backup/index.ts'
import { thrown } from '../../helpers/thrown.ts'

const key = new BackupKey(Buffer.alloc(32, 8))
const SMALL = { minSize: 256, avgSize: 1_024, maxSize: 4_096 }

describe('StoredStreamCheck: every record of a backup stream checked against its key as it goes by', () => {
  const pools = useChunkPool()

  /** A partition's stream as a backup writes it: rooms, one trimmed (its records from seq 4). */
  async function stream (): Promise<Buffer> {
    const records = (n: number, from = 1): Array<{ seq: number, epoch: number, event: unknown }> => Array.from({ length: n }, (_, i) => ({ seq: from + i, epoch: 2, event: { text: `post ${from + i} ${'words '.repeat(10)}` } }))
    const cuts = [
      storedCut('room/a', records(30), { partition: 5 }),
      storedCut('room/b', records(12, 4), { partition: 5, trimmed: { floor: 4, snapshot: { seq: 3, state: { upTo: 3 } } } }),
      storedCut('room/c', records(1), { partition: 5 })
    ]
    const { chunks } = await writeStream(pools.pool, key, cuts, SMALL, new Map(), 5)
    return Buffer.concat(chunks.map((c) => openChunk(key, c.id, c.sealed as Uint8Array)))
  }

  it('should pass a whole stream however it is cut into pieces, and count its records', async () => {
    const bytes = await stream()
    for (const size of [1, 7, 33, 500, bytes.byteLength]) {
      const check = new StoredStreamCheck(5)
      for (let at = 0; at < bytes.byteLength; at += size) check.push(bytes.subarray(at, at + size))
      expect(check.checked, `pieces of ${size}`).to.equal(43)
    }
  })

  it('should refuse a record whose bytes changed, a stream of another partition, and a frame of no kind it knows', async () => {
    const bytes = await stream()
    const damaged = Buffer.from(bytes)
    damaged[200] = (damaged[200] as number) ^ 1
    const err = thrown(() => { new StoredStreamCheck(5).push(damaged) })
    expect(err.name).to.equal('CorruptRecordError')
    expect(err.message).to.include('room/a')
    expect(thrown(() => { new StoredStreamCheck(6).push(bytes) }).name).to.equal('CorruptRecordError')
    expect(thrown(() => { new StoredStreamCheck(5).push(Buffer.from([0x07, 0, 0, 0, 0])) }).name).to.equal('BackupFormatError')
  })
})
