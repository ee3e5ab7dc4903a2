import { expect } from 'chai'
import { NODE_BASE, NODE_PARTS, checkPartList } from '../../../node/root/index.ts'

describe('node parts', () => {
  it('should be wired in order: every part needs only what the node or a part before it gives', () => {
    expect(checkPartList(NODE_PARTS, NODE_BASE)).to.deep.equal([])
  })

  it('should start the store first and the client endpoints last, so that the journal is flushed after every writer stopped', () => {
    const ids = NODE_PARTS.map((p) => p.id)
    expect(ids[0]).to.equal('store')
    expect(ids.slice(-4)).to.deep.equal(['admin', 'grpc', 'web', 'openai'])
    expect(ids.indexOf('actors')).to.be.lessThan(ids.indexOf('mesh'))
    expect(ids.indexOf('mesh')).to.be.lessThan(ids.indexOf('migration'))
  })
})
