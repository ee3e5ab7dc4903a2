import { expect } from 'chai'
import type { BackupEntry } from '../../../actors/index.ts'
import { holderAt } from '../../../node/backup/index.ts'
import { finished, post, readBack, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

describe('BackupRemover', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should remove a backup\'s chunks that no other backup names, and keep the others whole', async () => {
    const { nodes, service, jobs } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 20; i++) await post(nodes, written, `room/k${i}`, 15)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    await post(nodes, written, 'room/k7', 30)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [first, second] = await service.list() as [BackupEntry, BackupEntry]
    const firstChunks = new Set((await service.manifest(first.id)).partitions.flatMap((p) => p.chunks.map((c) => c.id)))
    const secondChunks = new Set((await service.manifest(second.id)).partitions.flatMap((p) => p.chunks.map((c) => c.id)))
    const onlyFirst = [...firstChunks].filter((id) => !secondChunks.has(id))
    expect(onlyFirst.length).to.be.greaterThan(0)
    const removed = await service.remove(first.id)
    expect(removed.chunks).to.equal(onlyFirst.length)
    for (const n of nodes) expect((await holderAt(a.system, n.id).has(onlyFirst)).every((held) => !held), n.id).to.equal(true)
    expect((await service.list()).map((b) => b.id)).to.deep.equal([second.id])
    const check = await finished(jobs, service.verify(second.id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
    expect((await readBack(nodes, await service.manifest(second.id))).get('room/k7')).to.deep.equal(written.get('room/k7'))
    expect(await service.remove('bk-nope').then(() => undefined, (e: Error) => e.name)).to.equal('UnknownBackupError')
  })
})
