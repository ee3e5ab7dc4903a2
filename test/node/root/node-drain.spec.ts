import { expect } from 'chai'
import { drainNode, startReadiness } from '../../../node/root/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('drainNode', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should make the node not ready, refuse new work and say which parts stop next, in reverse start order', async () => {
    node = await startPartsUpTo('openai')
    startReadiness(node.c)
    await drainNode(node.c, node.lifecycle)
    expect(node.c.get('state').now).to.equal('draining')
    const admin = node.c.get('reach').admin
    expect((await fetch(`http://127.0.0.1:${admin.port}/readyz`)).status).to.equal(503)
    const said = node.lines.map((l) => l.msg)
    expect(said).to.include('shutting down: not ready, closing streams, finishing in-flight calls')
    expect(said).to.include(`drained: 0 streams closed; stopping ${[...node.lifecycle.started].reverse().join(', ')}`)
  })
})
