import { expect } from 'chai'
import { ConfigError } from '../../../config/index.ts'
import { scrape } from '../../helpers/metric-text.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('storage parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should open the store, the replicas and the roster, the metrics and jobs, and a journal a lone node keeps itself', async () => {
    node = await startPartsUpTo('catch-up-state')
    const { c } = node
    expect(c.get('replicas').partitions).to.equal(256)
    expect(c.get('journal').placement(0).replicas).to.deep.equal([c.get('preflight').identity.peerId])
    expect(c.get('models').list()).to.be.an('array')
    expect(await scrape(c.get('metrics').registry)).to.contain('plexi_jobs_started_total').and.to.contain('plexi_replication_replica_fences_total')
    // alone, this node holds every partition whole: nothing to catch up
    expect(c.get('catchUp').status).to.include({ partitions: 256, caughtUp: 256 })
    expect(node.lifecycle.started).to.deep.equal(['store', 'model-registry', 'metrics', 'tracing', 'search-index', 'journal', 'actors', 'catch-up-state'])
  })

  it('should refuse a data dir that recorded another partition count as a configuration error, closing the store', async () => {
    const dir = await tempDir()
    try {
      node = await startPartsUpTo('store', { dir: dir.path, flags: { partitions: 8 } })
      await node.stop()
      node = undefined
      let failed: unknown
      await startPartsUpTo('store', { dir: dir.path, flags: { partitions: 16 } }).catch((err: unknown) => { failed = err })
      expect(failed).to.be.instanceOf(ConfigError)
      expect((failed as ConfigError).key).to.equal('partitions')
      // the store was closed: the same dir opens again with its own count
      node = await startPartsUpTo('store', { dir: dir.path, flags: { partitions: 8 } })
    } finally {
      await node?.stop()
      node = undefined
      await dir.remove()
    }
  })
})
