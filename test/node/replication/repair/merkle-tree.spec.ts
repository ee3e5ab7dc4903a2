import { expect } from 'chai'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { MerkleTree, bucketOf, diffLeaves } from '../../../../node/index.ts'

/** A record's digest as the store seals it: SHA-256 of its key and content. */
const digestOf = (entity: string, seq: number, text: string): Uint8Array =>
  createHash('sha256').update(`r\x00${entity}\x00${seq}`).update(text).digest()

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('MerkleTree (one partition replica)', () => {
  it('should give equal roots for the same records added in any order, and another root for any other set', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.tuple(fc.constantFrom('room/a', 'room/b', 'room/c', 'users/all'), fc.integer({ min: 1, max: 50 }), fc.string({ maxLength: 8 })), { selector: ([e, s]) => `${e}/${s}`, maxLength: 60 }),
      fc.integer(),
      (records, salt) => {
        const a = new MerkleTree(6)
        const b = new MerkleTree(6)
        for (const [e, s, t] of records) a.add(e, digestOf(e, s, t))
        // b: the same records in another order
        const shuffled = [...records].sort((x, y) => ((x[1] * 31 + salt) % 7) - ((y[1] * 31 + salt) % 7))
        for (const [e, s, t] of shuffled) b.add(e, digestOf(e, s, t))
        expect(hex(b.root())).to.equal(hex(a.root()))
        expect(a.records).to.equal(records.length)
        if (records.length > 0) {
          // one record's content changed: the root changes
          const [e, s, t] = records[0] as [string, number, string]
          b.remove(e, digestOf(e, s, t))
          b.add(e, digestOf(e, s, `${t}!`))
          expect(hex(b.root())).to.not.equal(hex(a.root()))
        }
      }), { numRuns: 100, seed: 20261122 })
  })

  it('should come back to the empty root when every record added is removed, whatever the order', () => {
    const empty = hex(new MerkleTree(8).root())
    const tree = new MerkleTree(8)
    const digests = Array.from({ length: 500 }, (_, i) => ({ e: `room/r${i % 37}`, d: digestOf(`room/r${i % 37}`, i, 'x') }))
    for (const { e, d } of digests) tree.add(e, d)
    expect(hex(tree.root())).to.not.equal(empty)
    for (const { e, d } of digests.reverse()) tree.remove(e, d)
    expect(hex(tree.root())).to.equal(empty)
    expect(tree.records).to.equal(0)
  })

  it('should keep up with writes without rebuilding: a root read between writes equals a tree built at the end', () => {
    const live = new MerkleTree(10)
    for (let i = 0; i < 2_000; i++) {
      live.add(`room/r${i % 101}`, digestOf(`room/r${i % 101}`, i, 'hello'))
      if (i % 97 === 0) live.root()
    }
    const built = new MerkleTree(10)
    for (let i = 0; i < 2_000; i++) built.add(`room/r${i % 101}`, digestOf(`room/r${i % 101}`, i, 'hello'))
    expect(hex(live.root())).to.equal(hex(built.root()))
    expect(live.level(10)).to.have.length(1024)
  })

  it('should find exactly the differing buckets by descending only into differing nodes', async () => {
    const ours = new MerkleTree(10)
    const theirs = new MerkleTree(10)
    for (let i = 0; i < 5_000; i++) {
      const e = `room/r${i % 400}`
      ours.add(e, digestOf(e, i, 'same'))
      theirs.add(e, digestOf(e, i, 'same'))
    }
    let calls = 0
    const read = (level: number, from: number, count: number): Uint8Array[] => {
      calls++
      return theirs.level(level, from, count)
    }
    // nothing differs: one comparison, the roots
    expect(await diffLeaves(ours, read, 10)).to.deep.equal({ buckets: [], compared: 1 })
    // a record missing on their side, and another with other content on ours
    theirs.remove('room/r7', digestOf('room/r7', 7, 'same'))
    ours.remove('room/r123', digestOf('room/r123', 123, 'same'))
    ours.add('room/r123', digestOf('room/r123', 123, 'flipped'))
    calls = 0
    const { buckets, compared } = await diffLeaves(ours, read, 10)
    expect(buckets).to.deep.equal([bucketOf('room/r7', 10), bucketOf('room/r123', 10)].sort((a, b) => a - b))
    // about 2 × depth per differing bucket (and the few equal hashes between two close paths that
    // are asked with them in one request), far from the 2,047 nodes of the tree
    expect(compared).to.be.at.most(1 + 2 * 10 * 2 + 8 * 10)
    // at most one request a level per differing bucket, and the root
    expect(calls).to.be.at.most(1 + 2 * 10)
  })

  it('should refuse trees of other depths and digests that are not SHA-256', async () => {
    expect(() => new MerkleTree(0)).to.throw(RangeError)
    expect(() => new MerkleTree(21)).to.throw(RangeError)
    expect(() => { new MerkleTree(4).add('room/a', new Uint8Array(16)) }).to.throw(RangeError)
    const err = await diffLeaves(new MerkleTree(4), () => [], 5).then(() => null, (e: unknown) => e)
    expect(err).to.be.instanceOf(RangeError)
  })
})
