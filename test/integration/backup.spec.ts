/**
 * Backups on a real node process, as an admin drives them: the CLI over the admin endpoint, the
 * node's own key file, its chunk holder and catalog.
 */
import { expect } from 'chai'
import { join } from 'node:path'
import type { Job } from '../../protocols/index.ts'
import { chatClient, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'

interface BackupRow { id: string, state: string, note: string, keyFingerprint: string, root: string | null, stats: { entities: number, records: number, newChunks: number } | null }

describe('backups on a real node (CLI → admin HTTP → backup job → chunk holder)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess
  let fingerprint: string

  before(async () => {
    dir = await tempDir()
    const made = await runCli(['backup', 'keygen', '--out', join(dir.path, 'backup.key'), '--json'])
    expect(made.code, made.stderr).to.equal(0)
    fingerprint = (JSON.parse(made.stdout) as { fingerprint: string }).fingerprint
    node = await startNodeProcess(join(dir.path, 'data'), ['--backup-key-file', join(dir.path, 'backup.key')])
  })
  after(async () => {
    await node?.stop()
    await dir?.remove()
  })

  const admin = async (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> =>
    await runCli(['admin', ...args, '--admin-addr', node.admin, '--data-dir', node.dataDir])
  const lastJob = (stdout: string): Job => JSON.parse(stdout.trim().split('\n').at(-1) as string) as Job

  it('should make a backup, list it, show it and verify every copy, with JSON for scripts', async () => {
    const added = await admin(['users', 'add', 'ann', '--json', '--no-save'])
    const token = (JSON.parse(added.stdout) as { token: string }).token
    const chat = chatClient(node.grpc, token)
    for (let i = 0; i < 20; i++) await chat.call('Post', { room: `room-${i % 4}`, text: `post ${i}` })
    chat.close()
    const created = await admin(['backup', 'create', '--note', 'nightly', '--json'])
    expect(created.code, created.stderr).to.equal(0)
    const job = lastJob(created.stdout)
    expect(job).to.include({ kind: 'backup', state: 'done' })
    const list = JSON.parse((await admin(['backup', 'ls', '--json'])).stdout) as BackupRow[]
    expect(list).to.have.length(1)
    const [backup] = list as [BackupRow]
    expect(backup).to.include({ state: 'done', note: 'nightly', keyFingerprint: fingerprint })
    // 4 rooms, the room and user directories, the audit trail (users add was recorded)
    expect(backup.stats?.entities).to.equal(7)
    const shown = JSON.parse((await admin(['backup', 'show', backup.id, '--json'])).stdout) as BackupRow
    expect(shown.root).to.match(/^[0-9a-f]{64}$/)
    const verified = await admin(['backup', 'verify', backup.id, '--full', '--json'])
    expect(verified.code, verified.stderr).to.equal(0)
    expect(lastJob(verified.stdout)).to.include({ kind: 'verify', state: 'done' })
    const metrics = await (await fetch(`http://${node.admin}/metrics`)).text()
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN)
    expect(value('plexi_backup_chunks_stored')).to.be.greaterThan(0)
    expect(value('plexi_backup_stored_bytes')).to.be.greaterThan(0)
    expect(value('plexi_backup_last_success_seconds')).to.be.closeTo(Date.now() / 1000, 120)
    expect(value('plexi_backup_dedup_ratio')).to.equal(0)
    expect(value('plexi_backup_audit_failures_total')).to.equal(0)
    const table = await admin(['backup', 'ls'])
    expect(table.stdout).to.match(new RegExp(`^${backup.id}\\s+done\\s+\\S+\\s+7\\s+.*${fingerprint}\\s+nightly$`, 'm'))
    // nothing is orphaned by a backup that completed
    const sweep = await admin(['backup', 'sweep', '--dry-run', '--json'])
    expect(sweep.code, sweep.stderr).to.equal(0)
    expect(lastJob(sweep.stdout)).to.include({ kind: 'sweep', state: 'done', message: 'dry run: 0 orphan chunks on 1 holder would be removed; nothing was' })
  })

  it('should restore one room as it was: a dry run first says what would change, then the restore does it', async () => {
    const [backup] = JSON.parse((await admin(['backup', 'ls', '--json'])).stdout) as [BackupRow]
    const added = await admin(['users', 'add', 'bob', '--json', '--no-save'])
    const chat = chatClient(node.grpc, (JSON.parse(added.stdout) as { token: string }).token)
    const page = async (): Promise<string[]> => ((await chat.call<{ messages?: Array<{ seq: number | string, text: string }> }>('History', { room: 'room-0', after: 0, limit: 100 })).messages ?? []).map((m) => `${m.seq}:${m.text}`)
    try {
      const before = await page()
      await chat.call('Post', { room: 'room-0', text: 'after the backup' })
      expect(await page()).to.have.length(before.length + 1)
      const dry = await admin(['restore', backup.id, '--room', 'room-0', '--dry-run'])
      expect(dry.code, dry.stderr).to.equal(0)
      expect(dry.stdout).to.match(/room\/room-0: \d+ records now, \d+ in the backup: the 1 written since would go/)
      expect(await page(), 'a dry run writes nothing').to.have.length(before.length + 1)
      const done = await admin(['restore', backup.id, '--room', 'room-0', '--json'])
      expect(done.code, done.stderr).to.equal(0)
      expect(lastJob(done.stdout)).to.include({ kind: 'restore', state: 'done' })
      expect(await page()).to.deep.equal(before)
      // kept in the catalog, the dry run not
      const kept = await fetch(`http://${node.admin}/api/v1/restores`, { headers: { authorization: `Bearer ${node.adminToken}` } })
      expect(kept.status).to.equal(200)
      const restores = await kept.json() as Array<Record<string, unknown>>
      expect(restores).to.have.length(1)
      expect(restores[0]).to.deep.include({ backup: backup.id, selection: { room: 'room-0' }, state: 'done', total: 1, cursor: 1, resumed: 0, error: null })
      const both = await admin(['restore', backup.id, '--room', 'room-0', '--user', 'ann'])
      expect(both.code).to.equal(2)
      const res = await fetch(`http://${node.admin}/api/v1/backups/${backup.id}/restore`, { method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: 'a/b' }) })
      expect(res.status, 'a user name that is no agent key').to.equal(400)
    } finally {
      chat.close()
    }
  })

  it('should refuse what it cannot do with a clear error, changing nothing', async () => {
    const unknown = await admin(['backup', 'verify', 'bk-nope'])
    expect(unknown.code).to.equal(1)
    expect(unknown.stderr).to.match(/no backup bk-nope/)
    const badId = await admin(['backup', 'show', '../etc'])
    expect(badId.code).to.equal(1)
    expect(badId.stderr).to.match(/400/)
    const res = await fetch(`http://${node.admin}/api/v1/backups`, { method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'x', extra: 1 }) })
    expect(res.status).to.equal(400)
    expect((JSON.parse((await admin(['backup', 'ls', '--json'])).stdout) as BackupRow[]).length, 'no backup started').to.equal(1)
    const long = await admin(['backup', 'create', '--note', 'x'.repeat(1_001)])
    expect(long.code).to.equal(2)
  })

  it('should refuse to make a backup on a node that holds no key, saying how to give it one', async () => {
    const other = await tempDir()
    const keyless = await startNodeProcess(other.path)
    try {
      const refused = await runCli(['admin', 'backup', 'create', '--admin-addr', keyless.admin, '--data-dir', keyless.dataDir])
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.match(/holds no backup key: start it with --backup-key-file/)
      const list = await runCli(['admin', 'backup', 'ls', '--json', '--admin-addr', keyless.admin, '--data-dir', keyless.dataDir])
      expect(JSON.parse(list.stdout)).to.deep.equal([])
    } finally {
      await keyless.stop()
      await other.remove()
    }
  })
})
