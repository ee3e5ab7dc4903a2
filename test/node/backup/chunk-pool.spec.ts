import { expect } from 'chai'
import { BackupKey, ChunkPool, chunkAll, sealChunk } from '../../../node/backup/index.ts'
import { rejection } from '../../helpers/thrown.ts'

const key = new BackupKey(Buffer.alloc(32, 5))
const SMALL = { minSize: 1_024, avgSize: 4_096, maxSize: 16_384 }

describe('ChunkPool: partition streams chunked and sealed on worker threads', () => {
  const pool = new ChunkPool(2)
  after(async () => { await pool.close() })

  it('should give back the chunks of pieces in order, as the chunker cuts the whole stream, each sealed under its id', async () => {
    const stream = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251))
    const session = pool.session(key, undefined, new Map(), SMALL)
    const pieces = [stream.subarray(0, 10), stream.subarray(10, 70_000), stream.subarray(70_000)].map((p) => Buffer.from(p))
    const got = (await Promise.all(pieces.map(async (p) => await session.push(p)))).flat()
    got.push(...await session.finish())
    const expected = chunkAll(stream, SMALL)
    expect(got.map((c) => c.id)).to.deep.equal(expected.map((c) => key.chunkId(c)))
    expect(got.map((c) => c.size)).to.deep.equal(expected.map((c) => c.byteLength))
    for (const [i, c] of got.entries()) expect(Buffer.from(c.sealed as Uint8Array).equals(sealChunk(key, c.id, expected[i] as Uint8Array))).to.equal(true)
  })

  it('should name a chunk it is told is stored without sealing it', async () => {
    const stream = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 31) % 253))
    const [first] = chunkAll(stream, SMALL)
    const id = key.chunkId(first as Uint8Array)
    const session = pool.session(key, undefined, new Map([[id, 'd'.repeat(64)]]), SMALL)
    const got = [...await session.push(Buffer.from(stream)), ...await session.finish()]
    expect(got[0]).to.deep.equal({ id, size: (first as Uint8Array).byteLength, digest: 'd'.repeat(64) })
    expect(got.slice(1).every((c) => c.sealed !== undefined)).to.equal(true)
  })

  it('should refuse a session used after it finished', async () => {
    const session = pool.session(key, undefined, new Map(), SMALL)
    await session.finish()
    expect((await rejection(async () => await session.finish())).name).to.equal('BackupFormatError')
  })
})
