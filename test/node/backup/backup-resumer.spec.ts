import { expect } from 'chai'
import { BACKUPS, BACKUP_CATALOG_KEY } from '../../../actors/index.ts'
import type { BackupEntry } from '../../../actors/index.ts'
import { BackupService, holderAt } from '../../../node/backup/index.ts'
import { Jobs } from '../../../node/jobs/index.ts'
import { meshPeer } from '../../../node/replication/index.ts'
import type { Job } from '../../../protocols/index.ts'
import { backupKey, finished, post, readBack, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const key = backupKey

describe('BackupResumer', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should resume a backup its node stopped making from its checkpoint, under the same id, and back up every room whole', async () => {
    const { nodes, options } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 60; i++) await post(nodes, written, `room/r${i}`, 30)
    // the node "dies" once its first checkpoint is stored: every later put hangs, as on a dead node
    let frozen = false
    let checkpoints = 0
    const dying = new BackupService({
      ...options,
      checkpointMs: 0,
      // the other replicas do not list partitions 8 and on (the quorum waits): the first eight are
      // done, and acknowledged, before the node dies, whatever the machine's pace
      peer: (node, partition) => {
        const real = meshPeer(a.system, node, partition, a.journal.partitions)
        return partition < 8 ? real : { ...real, entities: async () => await new Promise<never>(() => undefined) }
      },
      holder: (node) => {
        const real = holderAt(a.system, node)
        return {
          ...real,
          put: async (chunks) => {
            if (frozen) return await new Promise<never>(() => undefined)
            const result = await real.put(chunks)
            // a sealed manifest is stored under its own digest: once both copies of the first
            // checkpoint are stored (its catalog record follows), the node is gone
            if (chunks.length === 1 && chunks[0]?.id === chunks[0]?.digest && ++checkpoints === 2) frozen = true
            return result
          }
        }
      }
    })
    const first = dying.create('resumed')
    await waitFor(async () => (await dying.list()).find((b) => b.id === first.target)?.checkpoint != null, 'a checkpoint in the catalog', { timeout: 30_000, interval: 20 })
    expect(checkpoints).to.equal(2)
    // the node starts again: a new job registry, the same catalog
    const jobs = new Jobs({ node: a.id })
    const restarted = new BackupService({ ...options, jobs })
    restarted.start()
    try {
      await waitFor(async () => jobs.list().length > 0, 'the backup resumed', { timeout: 30_000, interval: 20 })
      const [job] = jobs.list() as [Job]
      expect(job).to.include({ kind: 'backup', target: first.target })
      const ended = await finished(jobs, job)
      expect(ended.state, ended.error ?? '').to.equal('done')
      expect(ended.message).to.match(/resumed, \d+ partitions taken from its checkpoint/)
    } finally {
      await restarted.stop()
    }
    const [entry] = await restarted.list() as [BackupEntry]
    expect(entry).to.include({ id: first.target, state: 'done', note: 'resumed', resumed: 1, node: a.id, checkpoint: null })
    const back = await readBack(nodes, await restarted.manifest(entry.id))
    expect(back).to.deep.equal(written)
    const check = await finished(jobs, restarted.verify(entry.id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
  })

  it('should take over a backup whose node is down, fence that node out, and mark failed one of another key that this node stopped making', async () => {
    const { nodes, service, jobs, options } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 5; i++) await post(nodes, written, `room/t${i}`, 10)
    const catalog = async <T>(msg: object): Promise<T> => await a.system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
    // as the catalog would say after another node died mid-backup, and after this node stopped
    // mid-backup holding another key then
    await catalog({ type: 'begin', id: 'bk-theirs', note: 'theirs', keyFingerprint: key.fingerprint, node: '12D3KooWGone', ts: 1 })
    await catalog({ type: 'begin', id: 'bk-oldkey', note: '', keyFingerprint: 'ffffffffffffffff', node: a.id, ts: 2 })
    const other = new BackupService({ ...options, live: (peer) => peer !== '12D3KooWGone' })
    const resumed = await other.resumeInterrupted()
    expect(resumed.map((j) => j.target)).to.deep.equal(['bk-theirs'])
    const ended = await finished(jobs, resumed[0] as Job)
    expect(ended.state, ended.error ?? '').to.equal('done')
    const list = await service.list()
    expect(list.find((b) => b.id === 'bk-theirs')).to.include({ state: 'done', node: a.id, resumed: 1 })
    expect(list.find((b) => b.id === 'bk-oldkey')?.state).to.equal('failed')
    expect(list.find((b) => b.id === 'bk-oldkey')?.error).to.match(/interrupted.*holds key/)
    expect((await readBack(nodes, await service.manifest('bk-theirs'))).size).to.equal(5)
    // the node that was thought down cannot end or checkpoint it any more
    await catalog({ type: 'begin', id: 'bk-split', note: '', keyFingerprint: key.fingerprint, node: '12D3KooWGone', ts: 3 })
    await catalog({ type: 'resume', id: 'bk-split', from: '12D3KooWGone', node: a.id, ts: 4 })
    const ref = { digest: 'a'.repeat(64), bytes: 10, holders: [a.id] }
    expect((await rejection(async () => await catalog({ type: 'checkpoint', id: 'bk-split', checkpoint: ref, node: '12D3KooWGone', ts: 5 }))).message).to.match(/being made by/)
    expect((await rejection(async () => await catalog({ type: 'fail', id: 'bk-split', error: 'late', node: '12D3KooWGone', ts: 6 }))).message).to.match(/being made by/)
    // and a second node resuming from the same stale view loses the compare-and-set
    expect((await rejection(async () => await catalog({ type: 'resume', id: 'bk-split', from: '12D3KooWGone', node: 'another', ts: 7 }))).message).to.match(/being made by/)
    expect(await other.remove('bk-split')).to.deep.equal({ chunks: 0, bytes: 0 })
  })

  it('should keep each restore in the catalog, and resume one whose node is down from its cursor, leaving the entities before it alone', async () => {
    const { nodes, service, jobs, options } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 12; i++) await post(nodes, written, `room/m${i}`, 5)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const order = (await service.manifest(entry.id)).partitions.flatMap((p) => p.blocks.map((b) => b.entity))
    expect(order).to.have.length(12)
    // every room grows after the backup
    for (const room of order) await post(nodes, written, room, 2)
    const head = async (entity: string): Promise<number> => (await a.journal.core(a.journal.storage.partitionOf(entity)).handle({ op: 'summary', entity })).head
    // as the catalog would say after a node died restoring the whole backup, 5 entities in
    const catalog = async <T>(msg: object): Promise<T> => await a.system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
    await catalog({ type: 'restore-begin', id: 'rs-gone', backup: entry.id, selection: {}, total: 12, node: '12D3KooWGone', ts: 1 })
    await catalog({ type: 'restore-progress', id: 'rs-gone', cursor: 5, node: '12D3KooWGone' })
    const other = new BackupService({ ...options, live: (peer) => peer !== '12D3KooWGone' })
    const resumed = await other.resumeInterrupted()
    expect(resumed.map((j) => [j.kind, j.target])).to.deep.equal([['restore', entry.id]])
    const ended = await finished(jobs, resumed[0] as Job)
    expect(ended.state, ended.error ?? '').to.equal('done')
    expect(ended.message).to.match(/restored 7 entities .*resumed at entity 6 of 12 \(restore rs-gone\)/)
    for (const [i, room] of order.entries()) expect(await head(room), room).to.equal(i < 5 ? 7 : 5)
    expect((await other.restores()).find((r) => r.id === 'rs-gone')).to.include({ state: 'done', cursor: 12, node: a.id, resumed: 1 })
    // a restore from start to end is kept too; a dry run is not
    expect((await finished(jobs, service.restore(entry.id, { room: 'm0' }, true))).state).to.equal('done')
    expect((await finished(jobs, service.restore(entry.id, { room: 'm0' }, false))).state).to.equal('done')
    expect(await head('room/m0')).to.equal(5)
    const kept = (await service.restores()).filter((r) => r.id !== 'rs-gone')
    expect(kept).to.have.length(1)
    expect(kept[0]).to.deep.include({ backup: entry.id, selection: { room: 'm0' }, state: 'done', total: 1, cursor: 1, node: a.id, resumed: 0, error: null })
  })
})
