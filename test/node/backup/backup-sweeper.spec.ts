import { expect } from 'chai'
import { BACKUPS, BACKUP_CATALOG_KEY } from '../../../actors/index.ts'
import type { BackupEntry } from '../../../actors/index.ts'
import { ciphertextDigest, holderAt, sealChunk } from '../../../node/backup/index.ts'
import { backupKey, finished, post, readBack, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { rejection } from '../../helpers/thrown.ts'

const key = backupKey

describe('BackupSweeper', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should sweep the chunks no backup names, keeping every named one, and begin no backup while another node holds the lock', async () => {
    const { nodes, service, jobs } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 8; i++) await post(nodes, written, `room/s${i}`, 20)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    // what a failed backup leaves: chunks on holders that no manifest names
    const orphans = Array.from({ length: 5 }, (_, i) => {
      const plain = Buffer.from(`orphan ${i}`)
      const id = key.chunkId(plain)
      const sealed = sealChunk(key, id, plain)
      return { id, digest: ciphertextDigest(sealed), sealed }
    })
    await holderAt(a.system, nodes[1]?.id as string).put(orphans)
    await holderAt(a.system, nodes[2]?.id as string).put(orphans.slice(0, 2))
    const dry = await finished(jobs, service.sweep(true))
    expect([dry.state, dry.message]).to.deep.equal(['done', 'dry run: 7 orphan chunks on 3 holders would be removed; nothing was'])
    expect(await holderAt(a.system, nodes[1]?.id as string).has([orphans[0]?.id as string])).to.deep.equal([true])
    const swept = await finished(jobs, service.sweep(false))
    expect([swept.state, swept.message]).to.deep.equal(['done', '7 orphan chunks on 3 holders removed'])
    for (const n of nodes) expect(await holderAt(a.system, n.id).has(orphans.map((o) => o.id))).to.deep.equal(orphans.map(() => false))
    const check = await finished(jobs, service.verify(entry.id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
    expect(await readBack(nodes, await service.manifest(entry.id))).to.deep.equal(written)
    // another node holds the lock: no backup begins, nothing is removed, until it gives it back
    const catalog = async <T>(msg: object): Promise<T> => await a.system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
    await catalog({ type: 'lock', node: 'other#1', until: Date.now() + 60_000, ts: Date.now() })
    const refused = await finished(jobs, service.create())
    expect(refused.error).to.match(/other#1 is removing backup chunks/)
    expect((await rejection(async () => await service.remove(entry.id))).name).to.equal('BackupBusyError')
    expect((await finished(jobs, service.sweep(false))).error).to.match(/other#1 is removing backup chunks/)
    expect(await catalog({ type: 'unlock', node: 'other#1' })).to.equal(true)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    // a backup of another key that its node may still resume (it stopped, no job of it runs), and
    // a done one of another key: their chunks cannot be told from orphans
    await catalog({ type: 'begin', id: 'bk-stopped', note: '', keyFingerprint: 'eeeeeeeeeeeeeeee', node: a.id, ts: 4 })
    expect((await finished(jobs, service.sweep(true))).error).to.match(/bk-stopped was made with backup key eeeeeeeeeeeeeeee/)
    await catalog({ type: 'fail', id: 'bk-stopped', error: 'gone', ts: 5 })
    await catalog({ type: 'begin', id: 'bk-foreign', note: '', keyFingerprint: 'ffffffffffffffff', node: a.id, ts: 5 })
    await catalog({ type: 'complete', id: 'bk-foreign', root: 'a'.repeat(64), manifest: { digest: 'b'.repeat(64), bytes: 10, holders: [a.id] }, stats: { partitions: 0, entities: 0, records: 0, bytes: 0, chunks: 0, newChunks: 0, newBytes: 0 }, ts: 6 })
    expect((await finished(jobs, service.sweep(true))).error).to.match(/bk-foreign was made with backup key ffffffffffffffff/)
  })
})
