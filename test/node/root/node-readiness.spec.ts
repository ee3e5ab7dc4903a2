import { expect } from 'chai'
import { startReadiness } from '../../../node/root/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('startReadiness', () => {
  let node: StartedParts | undefined
  afterEach(async () => { node?.c.get('state').drain(); await node?.stop(); node = undefined })

  it('should make a lone node ready at once: the directory view refreshes and the node says where it listens', async () => {
    node = await startPartsUpTo('openai')
    startReadiness(node.c)
    expect(node.c.get('state').now).to.equal('ready')
    const said = node.lines.map((l) => l.msg)
    expect(said.find((m) => m.startsWith('node ready: gRPC on 127.0.0.1:'))).to.not.equal(undefined)
    expect(said).to.include(`admin token created in ${node.c.get('preflight').adminToken.path} (mode 0600)`)
    const admin = node.c.get('reach').admin
    expect((await fetch(`http://127.0.0.1:${admin.port}/readyz`)).status).to.equal(200)
  })

  it('should keep a node that joins a cluster it has not heard not ready, saying what it waits for', async () => {
    node = await startPartsUpTo('openai', { clusterKey: true, flags: { join: '/ip4/127.0.0.1/tcp/9/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE' } })
    startReadiness(node.c)
    expect(node.c.get('state').now).to.equal('starting')
    await waitFor(() => node?.lines.some((l) => l.msg.startsWith('waiting to hear a member of the cluster')) ?? false, 'the waiting line')
    expect(node.c.get('state').now).to.equal('starting')
  })
})
