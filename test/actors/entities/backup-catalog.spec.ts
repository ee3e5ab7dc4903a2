import { expect } from 'chai'
import { join } from 'node:path'
import { ActorSystem, BACKUPS, BACKUP_CATALOG_KEY, backupCatalog, checkBackupCatalogMsg } from '../../../actors/index.ts'
import type { BackupEntry, BackupStats, ManifestRef } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { refusalOf } from '../../helpers/message-check-tests.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const FP = '0123456789abcdef'
const ROOT = 'a'.repeat(64)
const MANIFEST: ManifestRef = { digest: 'b'.repeat(64), bytes: 4_096, holders: ['n1', 'n2'] }
const STATS: BackupStats = { partitions: 3, entities: 10, records: 500, bytes: 100_000, chunks: 4, newChunks: 4, newBytes: 100_000 }

describe('backupCatalog: the cluster\'s list of backups (real LevelDB journal)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem

  async function open (): Promise<void> {
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(backupCatalog)
  }
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(join(dir.path, 'store'))
    await open()
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const catalog = () => system.entity(BACKUPS, BACKUP_CATALOG_KEY)
  const ask = async <T>(msg: object): Promise<T> => await catalog().ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
  const refused = async (msg: object): Promise<Error> => await ask(msg).then(() => { throw new Error('expected a refusal') }, (e: Error) => e)

  it('should list a backup as running, then done with its root and manifest, and keep it across a restart', async () => {
    const begun = await ask<BackupEntry>({ type: 'begin', id: 'bk-1', note: 'before the upgrade', keyFingerprint: FP, node: 'n1', ts: 1_000 })
    expect(begun).to.include({ id: 'bk-1', state: 'running', note: 'before the upgrade', keyFingerprint: FP, root: null })
    await ask({ type: 'begin', id: 'bk-2', note: '', keyFingerprint: FP, node: 'n2', ts: 2_000 })
    const done = await ask<BackupEntry>({ type: 'complete', id: 'bk-1', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 1_500 })
    expect(done).to.deep.include({ state: 'done', root: ROOT, manifest: MANIFEST, stats: STATS, endedAt: 1_500 })
    await ask({ type: 'fail', id: 'bk-2', error: 'the job was cancelled', ts: 2_500 })
    await system.terminate()
    await open()
    const list = await ask<BackupEntry[]>({ type: 'list' })
    expect(list.map((b) => [b.id, b.state, b.error])).to.deep.equal([['bk-1', 'done', null], ['bk-2', 'failed', 'the job was cancelled']])
    expect(await ask<boolean>({ type: 'remove', id: 'bk-2' })).to.equal(true)
    expect(await ask<boolean>({ type: 'remove', id: 'bk-2' })).to.equal(false)
    expect((await ask<BackupEntry[]>({ type: 'list' })).map((b) => b.id)).to.deep.equal(['bk-1'])
  })

  it('should refuse a repeated id, an unknown backup and a second end, changing nothing and never restarting', async () => {
    await ask({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 1 })
    expect((await refused({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 2 })).name).to.equal('BackupCatalogError')
    expect((await refused({ type: 'complete', id: 'bk-9', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 3 })).message).to.match(/no backup bk-9/)
    await ask({ type: 'fail', id: 'bk-1', error: 'holder gone', ts: 4 })
    expect((await refused({ type: 'complete', id: 'bk-1', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 5 })).message).to.match(/is failed already/)
    const malformed = await refused({ type: 'begin', id: '../etc', note: '', keyFingerprint: FP, node: 'n1', ts: 6 })
    expect(malformed.name).to.equal('InvalidMessageError')
    expect(system.stats.restarts).to.equal(0)
    expect((await ask<BackupEntry[]>({ type: 'list' })).map((b) => [b.id, b.state])).to.deep.equal([['bk-1', 'failed']])
  })

  it('should check every field of what it is sent', () => {
    const refusal = refusalOf(checkBackupCatalogMsg)
    const replyTo = { askId: 'a1', node: 'n1' }
    const complete = { type: 'complete', id: 'bk-1', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 1, replyTo }
    expect(refusal(complete)).to.equal('')
    expect(refusal({ ...complete, root: 'xyz' })).to.match(/root/)
    expect(refusal({ ...complete, manifest: { ...MANIFEST, holders: [] } })).to.match(/holders/)
    expect(refusal({ ...complete, stats: { ...STATS, chunks: -1 } })).to.match(/stats\.chunks/)
    expect(refusal({ type: 'begin', id: 'bk-1', note: 'x'.repeat(1_001), keyFingerprint: FP, node: 'n1', ts: 1, replyTo })).to.match(/note/)
    expect(refusal({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: 'nope', node: 'n1', ts: 1, replyTo })).to.match(/keyFingerprint/)
    expect(refusal({ ...complete, node: '' })).to.match(/node/)
    const checkpoint = { type: 'checkpoint', id: 'bk-1', checkpoint: MANIFEST, node: 'n1', ts: 1, replyTo }
    expect(refusal(checkpoint)).to.equal('')
    expect(refusal({ ...checkpoint, checkpoint: { ...MANIFEST, digest: 'zz' } })).to.match(/checkpoint\.digest/)
    expect(refusal({ ...checkpoint, node: undefined })).to.match(/node/)
    const resume = { type: 'resume', id: 'bk-1', from: 'n1', node: 'n2', ts: 1, replyTo }
    expect(refusal(resume)).to.equal('')
    expect(refusal({ ...resume, from: 7 })).to.match(/from/)
    expect(refusal({ ...resume, id: 'nope' })).to.match(/id/)
    expect(refusal({ type: 'drop', replyTo })).to.match(/type/)
    expect(refusal({ type: 'list' })).to.match(/replyTo/)
  })
})
