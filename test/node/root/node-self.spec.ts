import { expect } from 'chai'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('NodeSelf', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should describe this node as its record says: roles, status from its state, addresses, load, settled, models', async () => {
    node = await startPartsUpTo('self')
    const { c } = node
    const self = c.get('self')
    const member = self.member()
    expect(member).to.include({ peerId: c.get('preflight').identity.peerId, status: 'joining', settled: false, capacity: c.get('preflight').capacity })
    expect(member.roles).to.deep.equal(['chat', 'storage'])
    expect(member.models).to.deep.equal([])
    expect(member.load.actors).to.equal(c.get('system').actors().length)
    c.get('state').becomeReady()
    expect(self.member().status).to.equal('up')
    c.get('membership').bind({ members: () => [], announce: () => undefined, settled: () => true })
    expect(self.member().settled).to.equal(true)
    c.get('state').drain()
    expect(self.member().status).to.equal('draining')
    c.get('reach').grpc = { host: '127.0.0.1', port: 7777 }
    expect(self.member().addresses.grpc).to.equal('127.0.0.1:7777')
  })

  it('should say which plugins and registered servers run here once the plugins part binds them', async () => {
    node = await startPartsUpTo('self')
    const self = node.c.get('self')
    expect(self.member()).to.not.have.any.keys('plugins', 'servers')
    self.bindSources(() => ({ plugins: [{ name: 'clock', version: '1.0.0' }], servers: ['memory'] }))
    expect(self.member()).to.deep.include({ plugins: [{ name: 'clock', version: '1.0.0' }], servers: ['memory'] })
  })

  it('should say once it was decommissioned', async () => {
    node = await startPartsUpTo('self')
    const self = node.c.get('self')
    expect(self.left).to.equal(false)
    self.markLeft()
    expect(self.left).to.equal(true)
  })
})
