import { expect } from 'chai'
import { createCipheriv } from 'node:crypto'
import fc from 'fast-check'
import { Chunker, InvalidBackupInputError, chunkAll } from '../../../node/backup/index.ts'
import type { ChunkerOptions } from '../../../node/backup/index.ts'
import { thrown } from '../../helpers/thrown.ts'

/** Small sizes, so that a few KiB hold many chunks. */
const SMALL = { minSize: 64, avgSize: 256, maxSize: 1024 }

/** `n` pseudo-random bytes, the same on every run (AES-CTR keystream of a fixed key). */
function stream (n: number, seed: number): Buffer {
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16)).update(Buffer.alloc(n))
}

const sizesOf = (chunks: readonly Uint8Array[]): number[] => chunks.map((c) => c.byteLength)
const hexOf = (chunk: Uint8Array): string => Buffer.from(chunk).toString('hex')

/** Pushes `data` cut at `cuts` (offsets, any order), then flushes. */
function pushInPieces (chunker: Chunker, data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (data.byteLength + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const to of [...at, data.byteLength]) {
    out.push(...chunker.push(data.subarray(from, to)))
    from = to
  }
  const last = chunker.flush()
  if (last !== undefined) out.push(last)
  return out
}

describe('Chunker', () => {
  it('should cut the same boundaries however the data is split into pushes, and lose no byte (property)', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 12_000 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (data, cuts) => {
        const whole = chunkAll(data, SMALL)
        const pieces = pushInPieces(new Chunker(SMALL), data, cuts)
        expect(sizesOf(pieces)).to.deep.equal(sizesOf(whole))
        expect(Buffer.concat(pieces).equals(data)).to.equal(true)
      }), { numRuns: 100, seed: 20260916 })
  })

  it('should keep every chunk within [minSize, maxSize], the last one within [1, maxSize]', () => {
    for (const [data, options] of [[stream(40_000, 1), SMALL], [Buffer.alloc(5_000), SMALL], [stream(3 << 20, 3), {}]] as const) {
      const chunks = chunkAll(data, options)
      const { minSize, maxSize } = new Chunker(options)
      const sizes = sizesOf(chunks)
      for (const size of sizes.slice(0, -1)) expect(size).to.be.within(minSize, maxSize)
      expect(sizes.at(-1)).to.be.within(1, maxSize)
      expect(Buffer.concat(chunks).equals(data)).to.equal(true)
    }
  })

  it('should cut data without cut points (zeros) at maxSize', () => {
    expect(sizesOf(chunkAll(Buffer.alloc(5_000), SMALL))).to.deep.equal([1024, 1024, 1024, 1024, 904])
  })

  it('should cut a fixed input where it did when the format was fixed (the gear table is part of the format)', () => {
    // another gear table or mask would move these, and lose the dedup against every earlier backup
    expect(sizesOf(chunkAll(stream(8192, 1), SMALL))).to.deep.equal(
      [436, 269, 269, 308, 265, 281, 313, 396, 266, 287, 253, 268, 340, 277, 272, 283, 262, 288, 201, 320, 305, 310, 366, 275, 342, 297, 270, 146, 27])
    expect(sizesOf(chunkAll(stream(4 << 20, 2)))).to.deep.equal(
      [314273, 297164, 286498, 323063, 278353, 434532, 265182, 305340, 335761, 330671, 320444, 267544, 424938, 10541])
  })

  it('should change only the chunks around an edit in the middle of 4 MiB, leaving the others identical', () => {
    const before = stream(4 << 20, 7)
    const middle = 2 << 20
    const inserted = Buffer.concat([before.subarray(0, middle), Buffer.from('12345'), before.subarray(middle)])
    const deleted = Buffer.concat([before.subarray(0, middle), before.subarray(middle + 100)])
    const old = chunkAll(before)
    const known = new Set(old.map(hexOf))
    expect(old.length).to.be.greaterThan(10)
    for (const after of [inserted, deleted]) {
      const chunks = chunkAll(after)
      const fresh = chunks.filter((c) => !known.has(hexOf(c)))
      // the chunk holding the edit, and at most one more before the boundaries fall into step
      expect(fresh.length, `${fresh.length} of ${chunks.length} chunks changed`).to.be.within(1, 2)
      expect(chunks.length - fresh.length).to.be.at.least(old.length - 2)
    }
  })

  it('should return copies: changing the pushed data afterwards changes no chunk', () => {
    const data = stream(4_000, 4)
    const chunker = new Chunker(SMALL)
    const chunks = [...chunker.push(data.subarray(0, 1_500)), ...chunker.push(data.subarray(1_500))]
    const last = chunker.flush()
    if (last !== undefined) chunks.push(last)
    data.fill(0)
    expect(Buffer.concat(chunks).equals(stream(4_000, 4))).to.equal(true)
  })

  it('should start a new stream after flush, and give nothing for nothing', () => {
    const chunker = new Chunker(SMALL)
    expect(chunker.push(new Uint8Array(0))).to.deep.equal([])
    expect(chunker.flush()).to.equal(undefined)
    const data = stream(3_000, 5)
    const first = chunker.push(stream(700, 6))
    expect(Buffer.concat([...first, chunker.flush() ?? new Uint8Array(0)]).equals(stream(700, 6))).to.equal(true)
    expect(sizesOf(pushInPieces(chunker, data, [100]))).to.deep.equal(sizesOf(chunkAll(data, SMALL)))
    expect(chunkAll(new Uint8Array(0))).to.deep.equal([])
  })

  it('should default to 64 KiB / 256 KiB / 1 MiB, and derive min and max from avgSize alone', () => {
    expect({ ...pick(new Chunker()) }).to.deep.equal({ minSize: 65536, avgSize: 262144, maxSize: 1048576 })
    expect(pick(new Chunker({ avgSize: 4096 }))).to.deep.equal({ minSize: 1024, avgSize: 4096, maxSize: 16384 })
    expect(pick(new Chunker({ minSize: 100, avgSize: 128, maxSize: 129 }))).to.deep.equal({ minSize: 100, avgSize: 128, maxSize: 129 })
  })

  it('should refuse options that do not fit together, saying which and why', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /an object/], [[], /an object/], [256, /an object/],
      [{ avgSize: 1000 }, /power of two/], [{ avgSize: 0 }, /whole number/], [{ avgSize: -256 }, /whole number/],
      [{ avgSize: 256.5 }, /whole number/], [{ avgSize: '256' }, /whole number/], [{ avgSize: Number.NaN }, /whole number/],
      [{ avgSize: 128 }, /minSize must be at least 64 bytes, got 32 \(the default for avgSize 128\)/],
      [{ minSize: 32, avgSize: 256 }, /at least 64/],
      [{ avgSize: 32 << 20 }, /maxSize must be at most/],
      [{ maxSize: (64 << 20) + 1 }, /at most/],
      [{ minSize: 256, avgSize: 256 }, /minSize < avgSize < maxSize/],
      [{ minSize: 64, avgSize: 256, maxSize: 256 }, /minSize < avgSize < maxSize/],
      [{ minSize: 300_000 }, /minSize < avgSize < maxSize/],
      [{ avg: 256 }, /unknown chunker option "avg"/]
    ]
    for (const [options, why] of bad) {
      const err = thrown(() => new Chunker(options as ChunkerOptions))
      expect(err, JSON.stringify(options)).to.be.instanceOf(InvalidBackupInputError)
      expect(err.message).to.match(why)
    }
    for (const data of ['text', [1, 2, 3], null, 42, new ArrayBuffer(8)]) {
      expect(thrown(() => new Chunker(SMALL).push(data as unknown as Uint8Array))).to.be.instanceOf(InvalidBackupInputError)
    }
  })
})

function pick (c: Chunker): { minSize: number, avgSize: number, maxSize: number } {
  return { minSize: c.minSize, avgSize: c.avgSize, maxSize: c.maxSize }
}
