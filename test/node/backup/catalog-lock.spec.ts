import { expect } from 'chai'
import { backupCatalog } from '../../../actors/index.ts'
import type { BackupEntry } from '../../../actors/index.ts'
import { CatalogClient } from '../../../node/backup/catalog-client.ts'
import { CatalogLock } from '../../../node/backup/catalog-lock.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'
import { quiet } from '../../helpers/test-cluster.ts'
import { rejection } from '../../helpers/thrown.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

const FP = '0123456789abcdef'

describe('CatalogLock', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(backupCatalog))
  const begin = async (catalog: CatalogClient, id: string): Promise<BackupEntry> =>
    await catalog.ask<BackupEntry>({ type: 'begin', id, note: '', keyFingerprint: FP, node: 'n2', ts: Date.now() })

  it('should hold the lock while its work runs, refusing a backup meanwhile, and give it back after', async () => {
    const catalog = new CatalogClient(node.system)
    const lock = new CatalogLock({ catalog, self: 'n1', log: quiet })
    const [working, gate] = [deferred(), deferred()]
    const running = lock.run(false, async () => { working.resolve(); await gate.promise; return 'worked' })
    await working.promise
    expect((await rejection(async () => await begin(catalog, 'bk-1'))).message).to.match(/^n1#[0-9a-f]{6} is removing backup chunks/)
    gate.resolve()
    expect(await running).to.equal('worked')
    expect(await begin(catalog, 'bk-2')).to.include({ state: 'running' })
  })

  it('should give the lock back when its work fails, and pass the failure on', async () => {
    const catalog = new CatalogClient(node.system)
    const lock = new CatalogLock({ catalog, self: 'n1', log: quiet })
    expect((await rejection(async () => await lock.run(false, async () => { throw new Error('holder gone') }))).message).to.equal('holder gone')
    expect(await begin(catalog, 'bk-1')).to.include({ state: 'running' })
  })

  it('should refuse with BackupBusyError, running nothing, while another node holds it', async () => {
    const catalog = new CatalogClient(node.system)
    await catalog.ask({ type: 'lock', node: 'other#1', until: Date.now() + 60_000, ts: Date.now() })
    let ran = false
    const refused = await rejection(async () => await new CatalogLock({ catalog, self: 'n1', log: quiet }).run(false, async () => { ran = true }))
    expect([refused.name, ran]).to.deep.equal(['BackupBusyError', false])
    expect(refused.message).to.match(/other#1 is removing backup chunks/)
  })

  it('should renew the lock while its work runs, so that it outlives its first term', async () => {
    const catalog = new CatalogClient(node.system)
    const failures = new ServiceFailures()
    const lockMs = 1_500
    const lock = new CatalogLock({ catalog, self: 'n1', log: quiet, failures, lockMs })
    let taken = 0
    await lock.run(false, async () => {
      taken = Date.now()
      // past the first term: only a renewal keeps another node out now
      await waitFor(() => Date.now() > taken + 2 * lockMs, 'two terms to pass', { timeout: 10_000, interval: 50 })
      const other = await catalog.ask({ type: 'lock', node: 'other#1', until: Date.now() + 60_000, ts: Date.now() }).then(() => 'taken', (err: Error) => err.name)
      expect(other).to.equal('BackupCatalogError')
    })
    expect(failures.of('backup-lock-renewal')).to.equal(0)
  })
})
