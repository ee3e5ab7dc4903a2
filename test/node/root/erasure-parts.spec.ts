import { expect } from 'chai'
import { STORE_COMPACTION_PATH } from '../../../node/erasure/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('erasure parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should run the store compaction and give the erase and retention jobs, the default retention from the config', async () => {
    node = await startPartsUpTo('erasure', { flags: { 'retention-days': '30' } })
    const { c } = node
    expect(c.get('system').actors().map((a) => a.path)).to.include(STORE_COMPACTION_PATH)
    expect(c.get('retention').defaults()).to.deep.equal({ days: 30 })
    expect(typeof c.get('erasure').start).to.equal('function')
  })

  it('should keep forever by default', async () => {
    node = await startPartsUpTo('erasure')
    expect(node.c.get('retention').defaults()).to.equal(undefined)
  })
})
