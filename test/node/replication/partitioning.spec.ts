import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { partitionOf, replicasOf } from '../../../node/replication/partitioning.ts'

describe('partitioning', () => {
  it('should put an entity in the partition its id\'s SHA-256 names, the same on every node', () => {
    for (const id of ['room/general', 'agent/alice', 'users/all']) {
      const expected = createHash('sha256').update(id).digest().readUInt32BE(0) % 256
      expect(partitionOf(id, 256), id).to.equal(expected)
      expect(partitionOf(id, 256)).to.be.within(0, 255)
    }
    // spread: 2,000 rooms over 16 partitions leave none empty
    const counts = new Array<number>(16).fill(0)
    for (let i = 0; i < 2_000; i++) counts[partitionOf(`room/r${i}`, 16)]++
    expect(Math.min(...counts)).to.be.above(60)
  })

  it('should give a partition R distinct storage nodes by rendezvous, unchanged by the roster\'s order, and move few when one joins', () => {
    const roster = ['a', 'b', 'c', 'd', 'e'].map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    const replicas = replicasOf(7, roster, 3)
    expect(new Set(replicas).size).to.equal(3)
    expect(replicasOf(7, [...roster].reverse(), 3)).to.deep.equal(replicas)
    const grown = [...roster, { peerId: 'f', roles: ['storage'], capacity: 1 }]
    let moved = 0
    for (let p = 0; p < 64; p++) {
      const before = replicasOf(p, roster, 3)
      const after = replicasOf(p, grown, 3)
      moved += after.filter((n) => !before.includes(n)).length
    }
    // a sixth node takes about 3/6 of 64 partitions' one replica each, not a reshuffle
    expect(moved).to.be.within(16, 48)
  })
})
