import { expect } from 'chai'
import { backupCatalog } from '../../../actors/index.ts'
import { CatalogClient } from '../../../node/backup/catalog-client.ts'
import { RestoreProgress } from '../../../node/backup/restore-progress.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

const FP = '0123456789abcdef'

describe('RestoreProgress', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(backupCatalog))

  async function begun (total: number): Promise<CatalogClient> {
    const catalog = new CatalogClient(node.system)
    await catalog.ask({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 1 })
    await catalog.ask({ type: 'restore-begin', id: 'rs-1', backup: 'bk-1', selection: {}, total, node: 'n1', ts: 2 })
    return catalog
  }
  const cursorOf = async (catalog: CatalogClient): Promise<number | undefined> => (await catalog.restores()).find((r) => r.id === 'rs-1')?.cursor

  it('should move its cursor past every entity done, in whatever order they end, and record it', async () => {
    const catalog = await begun(5)
    const progress = new RestoreProgress({ catalog, id: 'rs-1', node: 'n1', total: 5, start: 0, dryRun: false, everyMs: 0 })
    progress.complete(1)
    progress.complete(2)
    expect(progress.cursor).to.equal(0)
    progress.complete(0)
    expect(progress.cursor).to.equal(3)
    await progress.settled()
    expect(await cursorOf(catalog)).to.equal(3)
    progress.complete(4)
    progress.complete(3)
    await progress.settled()
    expect(progress.cursor).to.equal(5)
    expect(progress.fenced).to.equal(undefined)
  })

  it('should start from a resumed restore\'s cursor, and record at most once an interval', async () => {
    const catalog = await begun(6)
    const progress = new RestoreProgress({ catalog, id: 'rs-1', node: 'n1', total: 6, start: 2, dryRun: false, everyMs: 60_000 })
    expect(progress.cursor).to.equal(2)
    progress.complete(2)
    await progress.settled()
    expect(progress.cursor).to.equal(3)
    // not due yet: the catalog still says where it was
    expect(await cursorOf(catalog)).to.equal(0)
  })

  it('should record nothing for a dry run', async () => {
    const catalog = await begun(2)
    const progress = new RestoreProgress({ catalog, id: 'rs-1', node: 'n1', total: 2, start: 0, dryRun: true, everyMs: 0 })
    progress.complete(0)
    await progress.settled()
    expect([progress.cursor, await cursorOf(catalog)]).to.deep.equal([1, 0])
  })

  it('should be fenced out once another node took the restore over, logging that its progress was not recorded', async () => {
    const catalog = await begun(3)
    const warned: string[] = []
    const log = { info: () => undefined, warn: (_o: object, m: string) => { warned.push(m) } }
    const progress = new RestoreProgress({ catalog, id: 'rs-1', node: 'n1', total: 3, start: 0, dryRun: false, everyMs: 0, log })
    await catalog.ask({ type: 'restore-resume', id: 'rs-1', from: 'n1', node: 'n2', ts: 3 })
    progress.complete(0)
    await progress.settled()
    expect((progress.fenced as Error).name).to.equal('BackupCatalogError')
    expect(warned).to.have.length(1)
    expect(warned[0]).to.match(/^restore rs-1: progress not recorded: restore rs-1 is being made by n2/)
    expect(await cursorOf(catalog)).to.equal(0)
  })
})
