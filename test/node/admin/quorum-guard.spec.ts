import { expect } from 'chai'
import { checkQuorumLoss } from '../../../node/admin/quorum-guard.ts'
import { storageQuorum } from '../../helpers/storage-quorum.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('checkQuorumLoss', () => {
  it('should let a change through when no quorum is guarded, or when the storage nodes left up are enough', () => {
    expect(checkQuorumLoss(undefined, 'b', 'drain', false)).to.equal(undefined)
    const three = storageQuorum('a', ['a', 'b', 'c'], new Set(['b', 'c']))
    for (const change of ['drain', 'decommission', 'drop-storage'] as const) expect(checkQuorumLoss(three, 'c', change, false), change).to.equal(undefined)
  })

  it('should refuse a drain that would stop writes until the node is back, saying what would stop and what to do', () => {
    const two = storageQuorum('a', ['a', 'b'], new Set(['b']))
    const err = thrown(() => checkQuorumLoss(two, 'b', 'drain', false))
    expect(err).to.include({ name: 'WriteQuorumLossError', kind: 'conflict', up: 1, needed: 2 })
    expect(err?.message).to.equal('draining b would stop writes on 16 of 16 partitions (1 of the 2 replicas a write needs would be up) until it is back. Start another storage node first, or drain it anyway with --force (HTTP: "force": true)')
  })

  it('should refuse a decommission or a removal of the storage role that would leave too few storage nodes, and answer why when forced', () => {
    const two = storageQuorum('a', ['a', 'b'], new Set(['b']))
    const leave = 'would leave 1 storage node up, and a write needs 2: writes would stop on every partition once it has handed its partitions off'
    expect(thrown(() => checkQuorumLoss(two, 'b', 'decommission', false))?.message).to.equal(`decommissioning b ${leave}. Start another storage node first, or decommission it anyway with --force (HTTP: "force": true)`)
    expect(thrown(() => checkQuorumLoss(two, 'b', 'drop-storage', false))?.message).to.equal(`taking the storage role from b ${leave}. Start another storage node first, or change its roles anyway with --force (HTTP: "force": true)`)
    expect(checkQuorumLoss(two, 'b', 'drop-storage', true)).to.equal(`forced despite the write quorum: taking the storage role from b ${leave}`)
    expect(checkQuorumLoss(two, 'b', 'drain', true)).to.match(/^forced despite the write quorum: draining b would stop writes on 16 of 16 partitions/)
  })
})
