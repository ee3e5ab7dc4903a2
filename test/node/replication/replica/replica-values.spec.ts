import { expect } from 'chai'
import { createPlainCodec } from '../../../../actors/index.ts'
import { ReplicaValues } from '../../../../node/replication/replica/replica-values.ts'

describe('ReplicaValues', () => {
  const values = new ReplicaValues()
  const codec = createPlainCodec()

  it('should keep records, states and snapshots as they were written', () => {
    const record = values.encodeRecord({ seq: 4, epoch: 2, event: { text: 'hi' } })
    expect(values.record('k', record)).to.deep.equal({ epoch: 2, event: { text: 'hi' } })
    const state = { summary: { promised: 3, head: 4, headEpoch: 2, segments: [[1, 1], [2, 3]] as Array<[number, number]>, snapshotSeq: 2 }, promisedBy: 'act' }
    expect(values.state('k', values.encodeState(state))).to.deep.equal(state)
    expect(values.snapshot('k', values.encode({ seq: 2, state: { n: 2 } }))).to.deep.equal({ seq: 2, state: { n: 2 } })
    // rewrite generations with the epochs of the owners that made them (log-summary.ts, Generation)
    const edited = { ...state, summary: { ...state.summary, floor: 2, revised: 3, revisedEpoch: 2, rewrites: 4, rewritesEpoch: 3 } }
    expect(values.state('k', values.encodeState(edited))).to.deep.equal(edited)
    const older = { ...state, summary: { ...state.summary, revised: 3, rewrites: 4 } }
    expect(values.state('k', values.encodeState(older))).to.deep.equal(older)
  })

  it('should take a value that passed its seal but is not what its key says for a damaged one', () => {
    const notRecord = codec.encode({ x: 1 })
    expect(values.recordOrUndefined('r-key', notRecord)).to.equal(undefined)
    expect(() => values.record('r-key', notRecord)).to.throw(/sealed but not a record/).with.property('name', 'CorruptRecordError')
    expect(() => values.state('e-key', codec.encode({ head: 1 }))).to.throw(/sealed but not a replica state/)
    expect(() => values.snapshot('p-key', codec.encode({ seq: 0, state: 1 }))).to.throw(/sealed but not a snapshot/)
    expect(() => values.decode('x-key', new Uint8Array([0x92, 0x01]))).to.throw(/sealed but not decodable/).with.property('key', 'x-key')
    // an older state without the fields added since reads with their defaults
    expect(values.state('e-key', codec.encode({ promised: 1, head: 0, segments: [] }))).to.deep.equal({ summary: { promised: 1, head: 0, headEpoch: 0, segments: [], snapshotSeq: 0 }, promisedBy: '' })
  })
})
