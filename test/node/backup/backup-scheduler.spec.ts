import { expect } from 'chai'
import type { BackupEntry } from '../../../actors/index.ts'
import { BackupContext } from '../../../node/backup/backup-context.ts'
import { BackupScheduler } from '../../../node/backup/backup-scheduler.ts'
import { BackupService } from '../../../node/backup/index.ts'
import { finished, post, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('BackupScheduler', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should prune what the retention does not keep after each backup, and make backups on a schedule', async () => {
    const { nodes, jobs, options } = await cluster()
    const written: Written = new Map()
    for (let i = 0; i < 5; i++) await post(nodes, written, `room/s${i}`, 10)
    const service = new BackupService({ ...options, retention: { keepLast: 2, keepDaily: 0, keepWeekly: 0 }, scheduleMs: 50 })
    service.start()
    try {
      // the schedule makes one after another; each prunes to the newest two
      await waitFor(async () => jobs.list().filter((j) => j.kind === 'backup' && j.state === 'done').length >= 3, '3 scheduled backups done', { timeout: 30_000, interval: 20 })
    } finally {
      await service.stop()
    }
    const settled = jobs.list().filter((j) => j.kind === 'backup')
    for (const j of settled) await finished(jobs, j)
    const done = (await service.list()).filter((b) => b.state === 'done')
    expect(done).to.have.length(2)
    expect(done.every((b) => b.note === 'scheduled')).to.equal(true)
    expect(settled.some((j) => /retention removed bk-/.test(j.message))).to.equal(true)
    const check = await finished(jobs, service.verify((done.at(-1) as BackupEntry).id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
  })

  it('should start a backup only when one is due: a holder up, none running, none started within the interval', async () => {
    const { nodes, jobs, holders, options } = await cluster()
    const written: Written = new Map()
    await post(nodes, written, 'room/s0', 3)
    const ctx = new BackupContext(options)
    const created: string[] = []
    const scheduler = new BackupScheduler(ctx, (note) => { created.push(note); return new BackupService(options).create(note) })
    const first = await scheduler.due(60_000)
    expect(first?.kind).to.equal('backup')
    // one runs: none more
    expect(await scheduler.due(60_000)).to.equal(undefined)
    await finished(jobs, first!)
    // one done within the interval: none
    expect(await scheduler.due(60_000)).to.equal(undefined)
    // the interval has passed since
    expect((await scheduler.due(1))?.kind).to.equal('backup')
    await finished(jobs, jobs.list().find((j) => j.id !== first!.id)!)
    holders.clear()
    expect(await scheduler.due(1), 'no holder up').to.equal(undefined)
    expect(created).to.deep.equal(['scheduled', 'scheduled'])
  })
})
