import { expect } from 'chai'
import { BACKUPS, BACKUP_CATALOG_KEY, MAX_ENDED_RESTORES, backupCatalog } from '../../../actors/index.ts'
import type { BackupEntry, BackupStats, ManifestRef, RestoreEntry } from '../../../actors/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

const FP = '0123456789abcdef'
const ROOT = 'a'.repeat(64)
const MANIFEST: ManifestRef = { digest: 'b'.repeat(64), bytes: 4_096, holders: ['n1', 'n2'] }
const STATS: BackupStats = { partitions: 3, entities: 10, records: 500, bytes: 100_000, chunks: 4, newChunks: 4, newBytes: 100_000 }

describe('backupCatalog: the cluster\'s list of backups (real LevelDB journal)', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(backupCatalog))

  const catalog = () => node.system.entity(BACKUPS, BACKUP_CATALOG_KEY)
  const ask = async <T>(msg: object): Promise<T> => await catalog().ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
  const refused = async (msg: object): Promise<Error> => await ask(msg).then(() => { throw new Error('expected a refusal') }, (e: Error) => e)

  it('should list a backup as running, then done with its root and manifest, and keep it across a restart', async () => {
    const begun = await ask<BackupEntry>({ type: 'begin', id: 'bk-1', note: 'before the upgrade', keyFingerprint: FP, node: 'n1', ts: 1_000 })
    expect(begun).to.include({ id: 'bk-1', state: 'running', note: 'before the upgrade', keyFingerprint: FP, root: null })
    await ask({ type: 'begin', id: 'bk-2', note: '', keyFingerprint: FP, node: 'n2', ts: 2_000 })
    const done = await ask<BackupEntry>({ type: 'complete', id: 'bk-1', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 1_500 })
    expect(done).to.deep.include({ state: 'done', root: ROOT, manifest: MANIFEST, stats: STATS, endedAt: 1_500 })
    await ask({ type: 'fail', id: 'bk-2', error: 'the job was cancelled', ts: 2_500 })
    await node.restart()
    const list = await ask<BackupEntry[]>({ type: 'list' })
    expect(list.map((b) => [b.id, b.state, b.error])).to.deep.equal([['bk-1', 'done', null], ['bk-2', 'failed', 'the job was cancelled']])
    expect(await ask<boolean>({ type: 'remove', id: 'bk-2' })).to.equal(true)
    expect(await ask<boolean>({ type: 'remove', id: 'bk-2' })).to.equal(false)
    expect((await ask<BackupEntry[]>({ type: 'list' })).map((b) => b.id)).to.deep.equal(['bk-1'])
  })

  it('should refuse a repeated id, an unknown backup and a second end, changing nothing and never restarting', async () => {
    await ask({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 1 })
    // the same ask again (a job that did not get the answer, after a failover) is answered alike
    expect(await ask<BackupEntry>({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 1 })).to.include({ id: 'bk-1', state: 'running' })
    expect((await refused({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 2 })).name).to.equal('BackupCatalogError')
    expect((await refused({ type: 'complete', id: 'bk-9', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 3 })).message).to.match(/no backup bk-9/)
    await ask({ type: 'fail', id: 'bk-1', error: 'holder gone', ts: 4 })
    expect(await ask<BackupEntry>({ type: 'fail', id: 'bk-1', error: 'holder gone', ts: 4 })).to.include({ state: 'failed', error: 'holder gone' })
    expect((await refused({ type: 'complete', id: 'bk-1', root: ROOT, manifest: MANIFEST, stats: STATS, ts: 5 })).message).to.match(/is failed already/)
    const malformed = await refused({ type: 'begin', id: '../etc', note: '', keyFingerprint: FP, node: 'n1', ts: 6 })
    expect(malformed.name).to.equal('InvalidMessageError')
    expect(node.system.stats.restarts).to.equal(0)
    expect((await ask<BackupEntry[]>({ type: 'list' })).map((b) => [b.id, b.state])).to.deep.equal([['bk-1', 'failed']])
  })

  it('should keep restores with their cursor, fence out a node that was taken over, and forget the oldest ended ones', async () => {
    await ask({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 1 })
    expect((await refused({ type: 'restore-begin', id: 'rs-1', backup: 'bk-9', selection: {}, total: 3, node: 'n1', ts: 1 })).message).to.match(/no backup bk-9/)
    const begun = await ask<RestoreEntry>({ type: 'restore-begin', id: 'rs-1', backup: 'bk-1', selection: { room: 'general' }, total: 3, node: 'n1', ts: 2 })
    expect(begun).to.deep.include({ id: 'rs-1', backup: 'bk-1', selection: { room: 'general' }, state: 'running', cursor: 0, total: 3, resumed: 0 })
    expect((await ask<RestoreEntry>({ type: 'restore-progress', id: 'rs-1', cursor: 2, node: 'n1' })).cursor).to.equal(2)
    // a cursor never goes back, nor past the end
    expect((await ask<RestoreEntry>({ type: 'restore-progress', id: 'rs-1', cursor: 1, node: 'n1' })).cursor).to.equal(2)
    expect((await refused({ type: 'restore-progress', id: 'rs-1', cursor: 4, node: 'n1' })).message).to.match(/has 3 entities/)
    expect(await ask<RestoreEntry>({ type: 'restore-resume', id: 'rs-1', from: 'n1', node: 'n2', ts: 3 })).to.include({ node: 'n2', resumed: 1 })
    expect((await refused({ type: 'restore-resume', id: 'rs-1', from: 'n1', node: 'n3', ts: 4 })).message).to.match(/being made by n2/)
    expect((await refused({ type: 'restore-progress', id: 'rs-1', cursor: 3, node: 'n1' })).message).to.match(/being made by n2/)
    expect((await refused({ type: 'restore-end', id: 'rs-1', error: null, node: 'n1', ts: 5 })).message).to.match(/being made by n2/)
    expect(await ask<RestoreEntry>({ type: 'restore-end', id: 'rs-1', error: null, node: 'n2', ts: 6 })).to.include({ state: 'done', cursor: 3, endedAt: 6 })
    expect((await refused({ type: 'restore-end', id: 'rs-1', error: 'late', node: 'n2', ts: 7 })).message).to.match(/is done already/)
    for (let i = 0; i < MAX_ENDED_RESTORES; i++) {
      await ask({ type: 'restore-begin', id: `rs-x${i}`, backup: 'bk-1', selection: {}, total: 1, node: 'n1', ts: 10 + i })
      await ask({ type: 'restore-end', id: `rs-x${i}`, error: i === 0 ? 'holder gone' : null, node: 'n1', ts: 10 + i })
    }
    await ask({ type: 'restore-begin', id: 'rs-running', backup: 'bk-1', selection: {}, total: 1, node: 'n1', ts: 1 })
    await node.restart()
    const restores = await ask<RestoreEntry[]>({ type: 'list-restores' })
    expect(restores).to.have.length(MAX_ENDED_RESTORES + 1)
    expect(restores.map((r) => r.id)).to.include('rs-running').and.not.include('rs-1')
    expect(restores.find((r) => r.id === 'rs-x0')).to.include({ state: 'failed', error: 'holder gone', cursor: 0 })
    expect(node.system.stats.restarts).to.equal(0)
  })

  it('should hold its lock for one node at a time, refusing a backup that would begin or resume meanwhile, until it is given back or expires', async () => {
    await ask({ type: 'begin', id: 'bk-old', note: '', keyFingerprint: FP, node: 'gone', ts: 1 })
    expect(await ask({ type: 'lock', node: 'n1#a', until: 10_000, ts: 1_000 })).to.deep.equal({ node: 'n1#a', until: 10_000 })
    expect((await refused({ type: 'lock', node: 'n2#b', until: 10_000, ts: 2_000 })).message).to.match(/n1#a is removing backup chunks/)
    expect((await refused({ type: 'begin', id: 'bk-1', note: '', keyFingerprint: FP, node: 'n1', ts: 2_000 })).message).to.match(/start the backup once it is done/)
    expect((await refused({ type: 'resume', id: 'bk-old', from: 'gone', node: 'n2', ts: 2_000 })).message).to.match(/is removing backup chunks/)
    // renewed by its holder; given back only by it
    expect(await ask({ type: 'lock', node: 'n1#a', until: 20_000, ts: 9_000 })).to.deep.equal({ node: 'n1#a', until: 20_000 })
    expect(await ask<boolean>({ type: 'unlock', node: 'n2#b' })).to.equal(false)
    // expired: it holds nothing back
    expect(await ask<BackupEntry>({ type: 'begin', id: 'bk-2', note: '', keyFingerprint: FP, node: 'n1', ts: 20_001 })).to.include({ state: 'running' })
    expect(await ask<boolean>({ type: 'unlock', node: 'n1#a' })).to.equal(true)
    expect(await ask({ type: 'lock', node: 'n2#b', until: 30_000, ts: 21_000 })).to.deep.equal({ node: 'n2#b', until: 30_000 })
    await node.restart()
    expect((await refused({ type: 'begin', id: 'bk-3', note: '', keyFingerprint: FP, node: 'n1', ts: 22_000 })).message).to.match(/n2#b is removing/)
    expect(node.system.stats.restarts).to.equal(0)
  })
})
