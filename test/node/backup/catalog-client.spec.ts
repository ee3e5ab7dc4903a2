import { expect } from 'chai'
import { backupCatalog } from '../../../actors/index.ts'
import type { BackupEntry, RestoreEntry } from '../../../actors/index.ts'
import { CatalogClient } from '../../../node/backup/catalog-client.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'
import { rejection } from '../../helpers/thrown.ts'

const FP = '0123456789abcdef'

describe('CatalogClient', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(backupCatalog))

  it('should list the catalog\'s backups oldest first, with a checkpoint and a resume count on each', async () => {
    const catalog = new CatalogClient(node.system)
    expect(await catalog.list()).to.deep.equal([])
    await catalog.ask<BackupEntry>({ type: 'begin', id: 'bk-2', note: 'second', keyFingerprint: FP, node: 'n1', ts: 2_000 })
    const first = await catalog.ask<BackupEntry>({ type: 'begin', id: 'bk-1', note: 'first', keyFingerprint: FP, node: 'n1', ts: 1_000 }, true)
    expect(first).to.include({ id: 'bk-1', state: 'running' })
    const list = await catalog.list(true)
    expect(list.map((b) => b.id)).to.deep.equal(['bk-1', 'bk-2'])
    expect(list.every((b) => b.checkpoint === null && b.resumed === 0)).to.equal(true)
    expect(await catalog.get('bk-2')).to.include({ id: 'bk-2', note: 'second' })
  })

  it('should refuse a backup it does not list with UnknownBackupError, and pass the catalog\'s refusals on', async () => {
    const catalog = new CatalogClient(node.system)
    const unknown = await rejection(async () => await catalog.get('bk-nope'))
    expect(unknown.name).to.equal('UnknownBackupError')
    expect(unknown.message).to.match(/no backup bk-nope/)
    await catalog.ask({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 1 })
    // a refusal is no unavailability: it comes back as the catalog's error
    expect((await rejection(async () => await catalog.ask({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 2 }, true))).name).to.equal('BackupCatalogError')
  })

  it('should list the restores the catalog keeps', async () => {
    const catalog = new CatalogClient(node.system)
    await catalog.ask({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 1 })
    await catalog.ask<RestoreEntry>({ type: 'restore-begin', id: 'rs-1', backup: 'bk-1', selection: { room: 'general' }, total: 3, node: 'n1', ts: 2 })
    expect((await catalog.restores()).map((r) => [r.id, r.state, r.total])).to.deep.equal([['rs-1', 'running', 3]])
    expect(await catalog.restores(true)).to.have.length(1)
  })
})
