import { expect } from 'chai'
import { MIGRATION_PATH } from '../../../node/migration/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('migration parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should bind the moves port to the migrator and answer for the node\'s leave at /migration', async () => {
    node = await startPartsUpTo('leave')
    const { c } = node
    // nothing active: a view change moves nothing
    expect(c.get('moves').moveAway('rebalance')).to.equal(0)
    expect(c.get('system').actors().map((a) => a.path)).to.include(MIGRATION_PATH)
    expect(c.get('leave').mode).to.equal(undefined)
  })

  it('should refuse a decommission while the node is not ready, changing nothing', async () => {
    node = await startPartsUpTo('leave')
    const { c } = node
    expect(() => c.get('leave').request('decommission')).to.throw(/is starting: it cannot be decommissioned now/)
    expect(c.get('leave').mode).to.equal(undefined)
    expect(c.get('roles').current).to.deep.equal(['chat', 'storage'])
  })
})
