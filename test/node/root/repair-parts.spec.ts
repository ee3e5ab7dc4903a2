import { expect } from 'chai'
import { scrape } from '../../helpers/metric-text.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('repair parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should start the repair loops, show each to the replicas\' inspector, and register their metrics', async () => {
    node = await startPartsUpTo('catch-up')
    const { c } = node
    const repairs = c.get('repairs')
    expect(repairs.antiEntropy).to.equal(c.get('antiEntropy'))
    expect(repairs.scrubber).to.equal(c.get('scrubber'))
    expect(repairs.handOff).to.equal(c.get('handOff'))
    expect(repairs.catchUp).to.equal(c.get('catchUp'))
    // a lone node is not leaving the storage roster: nothing to hand off
    expect(c.get('handOff').status.state).to.equal('idle')
    const text = await scrape(c.get('metrics').registry)
    for (const name of ['plexi_replication_anti_entropy_passes_total', 'plexi_replication_scrub_passes_total', 'plexi_replication_learner_partitions']) expect(text).to.contain(name)
  })

  it('should let an admin\'s anti-entropy run on a lone node, whose loop never runs by itself', async () => {
    node = await startPartsUpTo('anti-entropy')
    const ae = node.c.get('antiEntropy')
    const passes = ae.stats.passes
    await ae.runOnce()
    expect(ae.stats.passes).to.equal(passes + 1)
  })
})
