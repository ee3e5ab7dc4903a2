import { expect } from 'chai'
import { adoptChange, fillChange } from '../../../../node/replication/replica/replica-pulls.ts'
import type { ReplicaState } from '../../../../node/index.ts'

/** The changes anti-entropy's fills and adoptions make (ReplicaCore.fill, ReplicaCore.adopt). */
describe('replica pulls (fillChange, adoptChange)', () => {
  const E = 'room/pulled'
  const rec = (seq: number, epoch: number): { seq: number, epoch: number, event: unknown } => ({ seq, epoch, event: seq })
  const state = (summary: Partial<ReplicaState['summary']>): ReplicaState => ({ summary: { promised: 3, head: 4, headEpoch: 3, segments: [[3, 1]], snapshotSeq: 0, ...summary }, promisedBy: 'a3' })

  it('should fill after the head only, keep the floor, take a newer promise, and say moved-on when the head moved', () => {
    const st = state({ floor: 3 })
    const change = fillChange(E, st, 4, 3, [rec(5, 3), rec(6, 5)], { epoch: 5, by: 'a5' })
    expect(change).to.not.equal('moved-on')
    expect(change).to.deep.include({ records: [rec(5, 3), rec(6, 5)] })
    expect((change as { state: ReplicaState }).state).to.deep.equal({ summary: { promised: 5, head: 6, headEpoch: 5, segments: [[3, 1], [5, 6]], snapshotSeq: 0, floor: 3 }, promisedBy: 'a5' })
    expect(fillChange(E, st, 3, 3, [rec(4, 3)], { epoch: 3, by: 'a3' })).to.equal('moved-on')
    expect(() => fillChange(E, st, 4, 3, [rec(6, 3)], { epoch: 3, by: 'a3' })).to.throw(RangeError)
    expect(fillChange(E, st, 4, 3, [], { epoch: 3, by: 'a3' })).to.equal(undefined)
  })

  it('should let a tail give way to a newer log only after the match and never below the floor', async () => {
    const st = state({ head: 6, headEpoch: 3, floor: 5 })
    const newer = { matchEpoch: 3, peerHeadEpoch: 5, records: [rec(6, 5)], promise: { epoch: 5, by: 'a5' } }
    const change = await adoptChange(E, st, { match: 5, ...newer }, async () => undefined)
    expect(change).to.deep.include({ removeFrom: 6, records: [rec(6, 5)] })
    // below the floor every log agrees: a match at floor - 1 needs no record there
    expect(await adoptChange(E, st, { ...newer, match: 4, records: [rec(5, 5), rec(6, 5)] }, async () => undefined)).to.deep.include({ removeFrom: 5 })
    expect(await adoptChange(E, st, { ...newer, match: 3, records: [rec(4, 5)] }, async () => 3)).to.equal('moved-on')
    expect(await adoptChange(E, st, { ...newer, match: 5, peerHeadEpoch: 3 }, async () => 3)).to.equal('moved-on')
  })
})
