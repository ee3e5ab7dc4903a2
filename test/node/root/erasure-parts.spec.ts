import { expect } from 'chai'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ROOM } from '../../../actors/index.ts'
import { STORE_COMPACTION_PATH, compactEverywhere } from '../../../node/erasure/index.ts'
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

  it('should answer a compaction only once the search index has dropped what was redacted before it (and no index file ever held the text)', async function () {
    this.timeout(60_000)
    node = await startPartsUpTo('erasure')
    const { c } = node
    const index = c.get('searchIndex')
    expect(index).to.not.equal(undefined)
    const system = c.get('system')
    const needle = 'zebracornflake'
    await system.entity(ROOM, 'ops').ask((replyTo) => ({ type: 'post', user: 'ann', text: `the ${needle} plan`, replyTo }))
    await index?.settled()
    expect((await index?.size())?.rows, 'indexed').to.equal(1)
    await system.entity(ROOM, 'ops').ask((replyTo) => ({ type: 'redact', user: 'ann', seq: 1, replyTo }))
    // at once: the redaction's changes wait in the feed for its next batch until the compaction drains it
    const failures: Array<{ item: string, why: string }> = []
    await compactEverywhere(system, [system.node], ['room/ops'], failures)
    expect(failures).to.deep.equal([])
    expect(index?.feed.queued, 'changes still waiting for the index').to.equal(0)
    expect((await index?.size())?.rows, 'the post still in the index after the compaction answered').to.equal(0)
    const dir = c.get('config').dataDir
    const holding: string[] = []
    for (const file of (await readdir(dir)).filter((f) => f.startsWith('search.'))) {
      if ((await readFile(join(dir, file))).includes(`the ${needle} plan`)) holding.push(file)
    }
    expect(holding, 'index files holding the redacted text').to.deep.equal([])
  })

  it('should keep forever by default', async () => {
    node = await startPartsUpTo('erasure')
    expect(node.c.get('retention').defaults()).to.equal(undefined)
  })
})
