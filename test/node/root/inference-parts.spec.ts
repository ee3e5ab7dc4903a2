import { expect } from 'chai'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('inference parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should make the model manager and the inference service, with the KV-cache and forwarding actors', async () => {
    node = await startPartsUpTo('inference')
    const { c } = node
    expect(c.get('manager').loaded()).to.deep.equal([])
    expect(c.get('inferencePlan').workers).to.be.greaterThan(0)
    expect(c.get('system').actors().map((a) => a.path)).to.include.members(['/kv-cache', '/inference', '/inference-relay'])
    // no ai role: nothing said of the inference plan
    expect(node.lines.some((l) => l.msg.startsWith('inference: '))).to.equal(false)
  })
})
