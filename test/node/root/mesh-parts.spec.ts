import { expect } from 'chai'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('mesh parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should run a node without a cluster key alone: no p2p host, a cluster of one, the membership port bound', async () => {
    node = await startPartsUpTo('write-quorum')
    const { c } = node
    expect(c.get('p2p')).to.equal(undefined)
    expect(node.lifecycle.started).to.not.include('p2p')
    expect(node.lines.map((l) => l.msg)).to.include('no cluster key (--cluster-key-file): this node runs alone, with no p2p listener')
    expect(c.get('cluster').members()).to.deep.equal([])
    expect(c.get('membership').members()).to.deep.equal([])
    const self = c.get('self').member()
    expect(self.status).to.equal('joining')
    expect(self.peerId).to.equal(c.get('preflight').identity.peerId)
    expect(self.addresses.p2p).to.deep.equal([])
  })

  it('should listen for p2p with a cluster key and say where in the member record', async () => {
    node = await startPartsUpTo('mesh', { clusterKey: true })
    const { c } = node
    const p2p = c.get('p2p')
    expect(p2p).to.not.equal(undefined)
    const addrs = c.get('reach').p2p
    expect(addrs).to.have.length.greaterThan(0)
    expect(addrs[0]).to.match(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${c.get('preflight').identity.peerId}$`))
    expect(c.get('self').member().addresses.p2p).to.deep.equal(addrs)
  })
})
