import { expect } from 'chai'
import type { BackupEntry } from '../../../actors/index.ts'
import { BackupContext } from '../../../node/backup/backup-context.ts'
import { BackupKey, ciphertextDigest, generateBackupKey, holderAt, manifestRoot, sealManifest } from '../../../node/backup/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { askCatalog, backupKey, finished, post, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('BackupContext', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should give the key it holds, NoBackupKeyError without one, and share one failure count', async () => {
    const { options } = await cluster()
    expect(new BackupContext(options).requireKey()).to.equal(backupKey)
    expect(() => new BackupContext({ ...options, key: undefined }).requireKey()).to.throw(/holds no backup key/)
    const failures = new ServiceFailures()
    expect(new BackupContext({ ...options, failures }).failures).to.equal(failures)
    expect(new BackupContext(options).stats).to.deep.equal({ lastDoneAt: 0, lastBytes: 0, lastNewBytes: 0, bytesRead: 0, bytesSent: 0, repairs: 0, unmended: 0, restored: 0, audits: 0 })
  })

  it('should open a done backup\'s manifest, and refuse one not done, one of another key, or one whose root is not the catalog\'s', async () => {
    const { nodes, service, jobs, options } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 4; i++) await post(nodes, written, `room/c${i}`, 5)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const ctx = new BackupContext(options)
    const manifest = await ctx.manifest(entry.id)
    expect(manifest.partitions.flatMap((p) => p.blocks.map((b) => b.entity)).sort()).to.deep.equal([...written.keys()].sort())
    await askCatalog(a, { type: 'begin', id: 'bk-running', note: '', keyFingerprint: backupKey.fingerprint, node: a.id, ts: 1 })
    expect((await rejection(async () => await ctx.manifest('bk-running'))).message).to.match(/it is running, not done/)
    const other = new BackupContext({ ...options, key: BackupKey.parse(generateBackupKey()) })
    expect((await rejection(async () => await other.manifest(entry.id))).name).to.equal('BackupKeyMismatchError')
    // a manifest sealed for another backup does not open as this one's
    await askCatalog(a, { type: 'begin', id: 'bk-other', note: '', keyFingerprint: backupKey.fingerprint, node: a.id, ts: 2 })
    await askCatalog(a, { type: 'complete', id: 'bk-other', root: manifestRoot(manifest), manifest: entry.manifest, stats: entry.stats, ts: 3 })
    expect((await rejection(async () => await ctx.manifest('bk-other'))).name).to.equal('BackupFormatError')
    // a manifest that opens, but does not give the root the catalog holds
    const sealed = sealManifest(backupKey, { ...manifest, id: 'bk-forged' })
    const digest = ciphertextDigest(sealed)
    await holderAt(a.system, a.id).put([{ id: digest, digest, sealed }])
    await askCatalog(a, { type: 'begin', id: 'bk-forged', note: '', keyFingerprint: backupKey.fingerprint, node: a.id, ts: 4 })
    await askCatalog(a, { type: 'complete', id: 'bk-forged', root: 'a'.repeat(64), manifest: { digest, bytes: sealed.byteLength, holders: [a.id] }, stats: entry.stats, ts: 5 })
    const forged = await rejection(async () => await ctx.manifest('bk-forged'))
    expect([forged.name, forged.message]).to.deep.equal(['BackupHolderError', 'the manifest of bk-forged does not give the root the catalog holds'])
  })

  it('should say a listed backup still runs while its job runs here or its node is up', async () => {
    const { options } = await cluster()
    const self = options.self
    const entry = (node: string, state: BackupEntry['state'] = 'running'): BackupEntry => ({
      id: 'bk-1', state, note: '', keyFingerprint: backupKey.fingerprint, node, startedAt: 1, endedAt: null, error: null, root: null, manifest: null, stats: null, checkpoint: null, resumed: 0
    })
    const ctx = new BackupContext({ ...options, live: (peer) => peer !== 'gone' })
    expect(ctx.stillRunning(entry('other'))).to.equal(true)
    expect(ctx.stillRunning(entry('gone'))).to.equal(false)
    expect(ctx.stillRunning(entry('other', 'done'))).to.equal(false)
    // this node's own: only while a job of it runs here (a restarted node has none)
    expect(ctx.stillRunning(entry(self))).to.equal(false)
    const job = options.jobs.start('backup', 'bk-1', async () => await new Promise<string>(() => undefined))
    expect(ctx.stillRunning(entry(self))).to.equal(true)
    options.jobs.cancel(job.id)
    expect(new BackupContext(options).stillRunning(entry('gone')), 'every member counts as up without `live`').to.equal(true)
    const list = [entry('x', 'done'), { ...entry('x', 'done'), id: 'bk-2' }, { ...entry('x', 'done'), id: 'bk-3', keyFingerprint: 'ffffffffffffffff' }, { ...entry('x', 'failed'), id: 'bk-4' }]
    expect(BackupContext.latestOf(list, backupKey)?.id).to.equal('bk-2')
  })
})
