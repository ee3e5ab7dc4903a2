import { expect } from 'chai'
import type { BackupEntry } from '../../../actors/index.ts'
import { holderAt } from '../../../node/backup/index.ts'
import { finished, post, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

describe('BackupAuditor', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should audit random chunks of the newest backup and put back a copy a holder lost', async () => {
    const { nodes, service, jobs } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 8; i++) await post(nodes, written, `room/u${i}`, 30)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const ids = [...new Set((await service.manifest(entry.id)).partitions.flatMap((p) => p.chunks.map((c) => c.id)))]
    const lostOn = nodes[1] as TestNode
    const held = await holderAt(a.system, lostOn.id).has(ids)
    const lost = ids.filter((_, i) => held[i] === true).slice(0, 2)
    expect(await holderAt(a.system, lostOn.id).remove(lost)).to.equal(lost.length)
    // a sample as large as the backup: every chunk
    const found = await service.audit(ids.length)
    expect(found).to.deep.equal({ checked: ids.length, repaired: lost.length, unmended: 0 })
    expect(await holderAt(a.system, lostOn.id).has(lost)).to.deep.equal(lost.map(() => true))
    expect(service.stats).to.deep.include({ audits: 1, repairs: lost.length })
    expect(await service.audit(4)).to.deep.equal({ checked: 4, repaired: 0, unmended: 0 })
  })
})
