import { expect } from 'chai'
import { BackupService } from '../../../node/backup/index.ts'
import { Jobs } from '../../../node/jobs/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { backupKey, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const key = backupKey

describe('BackupService', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should refuse to start without a key or without a holder, changing nothing', async () => {
    const { nodes, service } = await cluster({ key: undefined })
    expect(() => service.create()).to.throw(/holds no backup key: start it with --backup-key-file/)
    const a = nodes[0] as TestNode
    const noHolders = new BackupService({ system: a.system, journal: a.journal, self: a.id, key, holders: () => [], copies: 2, jobs: new Jobs({ node: a.id }) })
    expect(() => noHolders.create()).to.throw(/no member up holds the backup role/)
    expect(await service.list()).to.deep.equal([])
  })

  it('should run its loops as supervised services counted in the failures it is given, and stop them', async () => {
    const { options } = await cluster()
    const failures = new ServiceFailures()
    const warned: string[] = []
    const service = new BackupService({
      ...options,
      failures,
      scheduleMs: 1,
      holders: () => { throw new Error('the members are not known yet') },
      log: { info: () => undefined, warn: (_o, m) => { warned.push(m) } }
    })
    service.start()
    service.start()
    try {
      await waitFor(() => failures.of('backup-schedule') > 0, 'a failed schedule look counted', { timeout: 10_000 })
    } finally {
      await service.stop()
    }
    expect(warned.filter((m) => m.startsWith('backup-schedule failed: the members are not known yet'))).to.have.length(1)
    expect(failures.of('backup-resume')).to.equal(0)
    await service.stop()
  })
})
