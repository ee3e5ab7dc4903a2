import { expect } from 'chai'
import { CHUNK_HOLDER_PATH, RESTORE_HOLD_PATH } from '../../../node/backup/index.ts'
import { scrape } from '../../helpers/metric-text.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'

describe('backup parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should keep no chunks and run no holder repair on a node without the backup role, and still answer restores\' holds', async () => {
    node = await startPartsUpTo('backup-holder-repair')
    const { c } = node
    expect(c.get('chunkStore')).to.equal(undefined)
    expect(c.get('holderRepair')).to.equal(undefined)
    expect(node.lifecycle.started).to.not.include.members(['backup-chunks', 'backup-holder-repair'])
    expect(node.lifecycle.started).to.include('backup-schedule')
    const paths = c.get('system').actors().map((a) => a.path)
    expect(paths).to.include(RESTORE_HOLD_PATH)
    expect(paths).to.not.include(CHUNK_HOLDER_PATH)
    expect(await scrape(c.get('metrics').registry)).to.contain('plexi_backup_')
  })

  it('should keep the cluster\'s sealed chunks and repair their copies on a backup-role node', async () => {
    node = await startPartsUpTo('backup-holder-repair', { flags: { role: 'chat,storage,backup' } })
    const { c } = node
    expect(c.get('chunkStore')).to.not.equal(undefined)
    expect(c.get('holderRepair')).to.not.equal(undefined)
    expect(node.lifecycle.started).to.include.members(['backup-chunks', 'backup-schedule', 'backup-holder-repair'])
    expect(c.get('system').actors().map((a) => a.path)).to.include(CHUNK_HOLDER_PATH)
  })
})
