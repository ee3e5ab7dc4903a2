/**
 * A backup node killed in the middle of a backup (real processes): the job passes it over, puts
 * its share of the chunks on the members left, and completes; the backup is whole (verify mends
 * the copies the dead node was to keep) and gives every room back.
 */
import { expect } from 'chai'
import { join } from 'node:path'
import { chatClient, runCli } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

interface JobRow { id: string, state: string, message: string, error: string | null, left: Array<{ item: string, why: string }> }

describe('a backup node killed mid-backup (real processes)', function () {
  this.timeout(180_000)
  const cluster = new ProcessCluster()
  let keys: { path: string, remove: () => Promise<void> }

  before(async () => {
    keys = await tempDir()
    const made = await runCli(['backup', 'keygen', '--out', join(keys.path, 'backup.key')])
    expect(made.code, made.stderr).to.equal(0)
    const all = 'chat,storage,backup'
    await cluster.start([{ roles: all, args: ['--backup-key-file', join(keys.path, 'backup.key')] }, all, all])
  })

  after(async () => {
    await cluster.close()
    await keys?.remove()
  })

  it('should complete the backup on the members left, whole, every room in it', async () => {
    const [a, b, c] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    const token = await cluster.addUser('ann', a)
    const chat = chatClient(a.node.grpc, token)
    const posted = new Map<string, string[]>()
    try {
      for (let i = 0; i < 600; i++) {
        const room = `r${i % 30}`
        const text = `post ${i} ${'x'.repeat(200)}`
        await chat.call('Post', { room, text })
        posted.set(room, [...posted.get(room) ?? [], text])
      }
    } finally {
      chat.close()
    }
    const started = await cluster.api<JobRow>(a, '/backups', { method: 'POST', body: { note: 'under fire' } })
    expect(started.state).to.equal('running')
    await c.node.stop('SIGKILL')
    await waitFor(async () => (await cluster.api<JobRow>(a, `/jobs/${started.id}`)).state !== 'running', 'the backup job to end', { timeout: 120_000, interval: 100 })
    const ended = await cluster.api<JobRow>(a, `/jobs/${started.id}`)
    expect(ended.state, `${ended.message} ${ended.error ?? ''}`).to.equal('done')
    const [backup] = await cluster.api<Array<{ id: string, stats: { entities: number, records: number } }>>(a, '/backups')
    // 30 rooms, the room directory, the user directory
    expect(backup?.stats.entities).to.equal(32)
    // the copies the dead node was to keep are put back on the members left
    await waitFor(async () => (await cluster.api<Array<{ peerId: string, status: string }>>(a, '/nodes')).find((m) => m.peerId === c.peerId)?.status === 'down', 'the killed node down', { timeout: 30_000, interval: 100 })
    const verify = await cluster.api<JobRow>(a, `/backups/${backup?.id ?? ''}/verify`, { method: 'POST', body: { full: true } })
    await waitFor(async () => (await cluster.api<JobRow>(a, `/jobs/${verify.id}`)).state !== 'running', 'the verify job to end', { timeout: 60_000, interval: 100 })
    const checked = await cluster.api<JobRow>(a, `/jobs/${verify.id}`)
    expect(checked.state, `${checked.message} ${checked.error ?? ''}`).to.equal('done')
    // and every room comes back from it: each one's restore, dry, sees the same count of records
    const dry = await cluster.api<JobRow>(b, `/backups/${backup?.id ?? ''}/restore`, { method: 'POST', body: { dryRun: true } }).catch((e: Error) => e)
    // b holds no key: only the node with the key restores
    expect(String(dry)).to.match(/409/)
    const restoreDry = await cluster.api<JobRow>(a, `/backups/${backup?.id ?? ''}/restore`, { method: 'POST', body: { dryRun: true } })
    await waitFor(async () => (await cluster.api<JobRow>(a, `/jobs/${restoreDry.id}`)).state !== 'running', 'the dry run to end', { timeout: 60_000, interval: 100 })
    const compared = await cluster.api<JobRow>(a, `/jobs/${restoreDry.id}`)
    expect(compared.state, compared.error ?? '').to.equal('done')
    for (const [room, texts] of posted) {
      const line = compared.left.find((l) => l.item === `room/${room}`)
      // the room's journal holds its posts; the killed node's replica does not answer
      expect(line?.why, room).to.equal(`${texts.length} records now and in the backup: rewritten as the backup's; 1 of its 3 replicas did not answer, and a restore needs them all`)
    }
  })
})
