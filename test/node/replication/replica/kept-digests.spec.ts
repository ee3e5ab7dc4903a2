import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { REPLICA_MERKLE_DEPTH, SPAN_BLOCK } from '../../../../node/replication/constants.ts'
import { KeptDigests, xorInto } from '../../../../node/replication/replica/kept-digests.ts'
import { bucketOf } from '../../../../node/replication/repair/merkle-tree.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const xorOf = (digests: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(32)
  for (const d of digests) xorInto(out, 0, d)
  return out
}

describe('KeptDigests', () => {
  it('should keep an entity\'s digest, its last seq and its bucket as records come and go', () => {
    const kept = new KeptDigests()
    const d = Array.from({ length: 11 }, () => new Uint8Array(randomBytes(32)))
    for (let seq = 1; seq <= 10; seq++) kept.added(5, 'room/a', seq, d[seq] as Uint8Array)
    expect(hex(kept.get('room/a')?.digest as Uint8Array)).to.equal(hex(xorOf(d.slice(1))))
    expect(kept.get('room/a')).to.include({ partition: 5, last: 10 })
    expect(kept.inBucket(5, bucketOf('room/a', REPLICA_MERKLE_DEPTH))).to.deep.equal(['room/a'])
    expect(kept.all).to.equal(true)
    // a tail truncated last seq first: the bound follows it down, the digest loses them
    for (const seq of [10, 9, 8]) kept.removed('room/a', seq, d[seq] as Uint8Array)
    expect(kept.get('room/a')?.last).to.equal(7)
    expect(hex(kept.get('room/a')?.digest as Uint8Array)).to.equal(hex(xorOf(d.slice(1, 8))))
    expect(kept.get('room/none')).to.equal(undefined)
  })

  it('should sum spans that start on a block from the kept blocks, and read only what they cannot say', async () => {
    const kept = new KeptDigests()
    const d = Array.from({ length: 41 }, () => new Uint8Array(randomBytes(32)))
    for (let seq = 1; seq <= 40; seq++) kept.added(0, 'room/a', seq, d[seq] as Uint8Array)
    const asked: Array<[number, number, number]> = []
    // the store's answer: the same digests, summed per span
    const read = async (_entity: string, from: number, to: number, span: number): Promise<Uint8Array[]> => {
      asked.push([from, to, span])
      return Array.from({ length: Math.ceil((to - from + 1) / span) }, (_, i) => xorOf(d.slice(from + i * span, Math.min(to, from + i * span + span - 1) + 1)))
    }
    const spans = await kept.spans('room/a', 1, 40, 16, read)
    expect(spans.map(hex)).to.deep.equal([xorOf(d.slice(1, 17)), xorOf(d.slice(17, 33)), xorOf(d.slice(33, 41))].map(hex))
    expect(asked).to.deep.equal([])
    // cut inside a block while records follow: that block's part is read
    const cut = await kept.spans('room/a', 1, 6, 16, read)
    expect(cut.map(hex)).to.deep.equal([hex(xorOf(d.slice(1, 7)))])
    expect(asked).to.deep.equal([[5, 6, SPAN_BLOCK]])
    // not starting on a block: all of it read
    await kept.spans('room/a', 2, 9, 4, read)
    expect(asked.at(-1)).to.deep.equal([2, 9, 4])
  })
})
