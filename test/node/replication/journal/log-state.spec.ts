import { expect } from 'chai'
import { OWNER_TAIL_RECORDS, RETRY_MIN_MS } from '../../../../node/replication/constants.ts'
import { LogState, newTrack } from '../../../../node/replication/journal/log-state.ts'
import type { LogInit } from '../../../../node/replication/journal/log-state.ts'

const initOf = (over: Partial<LogInit> = {}): LogInit => ({
  epoch: 9, head: 0, segments: [], tail: [], tailStart: 1, sealed: 0, committed: 0, tracks: [], sources: [], snapshotHolders: [], holder: 'act', readFloor: 0, ...over
})

describe('LogState', () => {
  it('should start a replica\'s track not known, idle, at the first backoff', () => {
    expect(newTrack('a')).to.deep.equal({ node: 'a', summary: undefined, match: -1, busy: false, broken: false, waiting: false, backoff: RETRY_MIN_MS, granted: -Infinity })
    expect(newTrack('b', { match: 4, broken: true, granted: 7 })).to.include({ node: 'b', match: 4, broken: true, granted: 7 })
  })

  it('should tell a seq\'s epoch from the records it keeps, else from the segments', () => {
    // seqs 1-4 of epoch 3 and 5-6 of epoch 9; records 5-6 kept in memory
    const s = new LogState(initOf({ head: 6, segments: [[3, 1], [9, 5]], tail: [{ seq: 5, epoch: 9, event: 5 }, { seq: 6, epoch: 9, event: 6 }], tailStart: 5 }), 2)
    expect([1, 4, 5, 6, 7].map((seq) => s.epochOf(seq))).to.deep.equal([3, 3, 9, 9, undefined])
    expect(s.ownLog()).to.deep.equal({ segments: [[3, 1], [9, 5]], head: 6 })
    expect(s.writeQuorum).to.equal(2)
  })

  it('should drop only acknowledged records from memory, in halves past its bound', () => {
    const n = 2 * OWNER_TAIL_RECORDS + 1
    const tail = Array.from({ length: n }, (_, i) => ({ seq: i + 1, epoch: 9, event: i + 1 }))
    const s = new LogState(initOf({ head: n, segments: [[9, 1]], tail, tailStart: 1 }), 2)
    // nothing acknowledged: everything stays (a replica may still need it)
    s.trimTail()
    expect(s.tail).to.have.length(n)
    // ten acknowledged: those ten go, no more
    s.committed = 10
    s.trimTail()
    expect(s.tailStart).to.equal(11)
    expect(s.tail).to.have.length(n - 10)
    // every one acknowledged: down to the bound, the newest kept
    const fresh = Array.from({ length: n }, (_, i) => ({ seq: i + 1, epoch: 9, event: i + 1 }))
    const all = new LogState(initOf({ head: n, segments: [[9, 1]], tail: fresh, tailStart: 1, committed: n }), 2)
    all.trimTail()
    expect(all.tail).to.have.length(OWNER_TAIL_RECORDS)
    expect(all.tailStart).to.equal(n - OWNER_TAIL_RECORDS + 1)
    expect(all.tail[0]?.seq).to.equal(all.tailStart)
  })
})
