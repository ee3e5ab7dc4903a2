import { expect } from 'chai'
import { NodeState } from '../../../node/root/index.ts'

describe('NodeState', () => {
  it('should go from starting to ready once, and never be ready again after draining', () => {
    const state = new NodeState()
    expect(state.now).to.equal('starting')
    expect(state.ready).to.equal(false)
    expect(state.becomeReady()).to.equal(true)
    expect(state.becomeReady()).to.equal(false)
    expect(state.ready).to.equal(true)
    state.drain()
    expect(state.now).to.equal('draining')
    expect(state.becomeReady()).to.equal(false)
  })

  it('should drain a node that never became ready', () => {
    const state = new NodeState()
    state.drain()
    expect(state.now).to.equal('draining')
    expect(state.becomeReady()).to.equal(false)
  })
})
