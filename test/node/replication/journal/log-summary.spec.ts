import { expect } from 'chai'
import { compareLogs, epochAt, matchPoint, withRecords } from '../../../../node/replication/index.ts'
import type { Segment } from '../../../../node/replication/index.ts'

describe('log summary', () => {
  const log = (segments: Segment[], head: number): { segments: Segment[], head: number } => ({ segments, head })

  it('should tell the epoch of each seq from the segments, and nothing outside them', () => {
    const segs: Segment[] = [[3, 1], [7, 5], [9, 8]]
    expect([1, 4, 5, 7, 8, 10].map((s) => epochAt(segs, 10, s))).to.deep.equal([3, 3, 7, 7, 9, 9])
    expect(epochAt(segs, 10, 0)).to.equal(undefined)
    expect(epochAt(segs, 10, 11)).to.equal(undefined)
    // only the newest segments kept: what lies before them is unknown
    expect(epochAt([[7, 5], [9, 8]], 10, 4)).to.equal(undefined)
  })

  it('should find the last seq two logs share an epoch at', () => {
    // same history, one longer
    expect(matchPoint(log([[3, 1]], 10), log([[3, 1]], 6))).to.equal(6)
    // parted at seq 5: one went on in epoch 7, the other in epoch 8
    expect(matchPoint(log([[3, 1], [7, 5]], 9), log([[3, 1], [8, 5]], 12))).to.equal(4)
    // the newer owner sealed seq 9 in epoch 9 after the records of epoch 7
    expect(matchPoint(log([[3, 1], [7, 5], [9, 9]], 12), log([[3, 1], [7, 5]], 11))).to.equal(8)
    // nothing in common that the summaries show
    expect(matchPoint(log([[5, 1]], 4), log([[6, 1]], 4))).to.equal(0)
    expect(matchPoint(log([], 0), log([[6, 1]], 4))).to.equal(0)
  })

  it('should replace what follows the first new seq, and keep only the newest segments', () => {
    expect(withRecords([[3, 1], [7, 5]], 6, [7, 8, 8])).to.deep.equal([[3, 1], [7, 5], [8, 7]])
    expect(withRecords([[3, 1], [7, 5]], 5, [9])).to.deep.equal([[3, 1], [9, 5]])
    const many = withRecords([], 1, Array.from({ length: 100 }, (_, i) => i + 1))
    expect(many).to.have.length(32)
    expect(many[many.length - 1]).to.deep.equal([100, 100])
  })

  it('should rank logs by their last epoch, then by length', () => {
    const a = { promised: 0, head: 20, headEpoch: 5, segments: [], snapshotSeq: 0 }
    const b = { promised: 0, head: 3, headEpoch: 6, segments: [], snapshotSeq: 0 }
    const c = { promised: 0, head: 25, headEpoch: 5, segments: [], snapshotSeq: 0 }
    expect([a, b, c].sort(compareLogs)).to.deep.equal([b, c, a])
  })
})
