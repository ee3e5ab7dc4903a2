/**
 * A backup node killed in the middle of a backup (real processes): the job passes it over, puts
 * its share of the chunks on the members left, and completes; the backup is whole (verify mends
 * the copies the dead node was to keep) and gives every room back. The node making a backup killed
 * in the middle of it: started again, it resumes the backup under the same id and completes it.
 */
import { expect } from 'chai'
import { join } from 'node:path'
import { chatClient, runCli } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

interface JobRow { id: string, state: string, message: string, error: string | null, left: Array<{ item: string, why: string }> }

/** Three `chat,storage,backup` nodes, the first holding a backup key, started before the suite's
 * tests and stopped after them. */
function keyedCluster (): ProcessCluster {
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
  return cluster
}

describe('a backup node killed mid-backup (real processes)', function () {
  this.timeout(180_000)
  const cluster = keyedCluster()

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
    // 30 rooms, the room directory, the user directory, the audit trail (adding the user was recorded)
    expect(backup?.stats.entities).to.equal(33)
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

describe('the node making a backup killed mid-backup (real processes)', function () {
  this.timeout(240_000)
  const cluster = keyedCluster()

  it('should resume the backup when the node starts again, and complete it whole under the same id', async () => {
    const [a, b] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    const token = await cluster.addUser('ann', b)
    const chat = chatClient(b.node.grpc, token)
    const posted = new Map<string, number>()
    try {
      // a few MiB, so that the backup is still running when its node is killed
      await Promise.all(Array.from({ length: 4 }, async (_, w) => {
        for (let i = w; i < 2_400; i += 4) {
          const room = `k${i % 24}`
          await chat.call('Post', { room, text: `post ${i} ${'y'.repeat(1_500)}` })
          posted.set(room, (posted.get(room) ?? 0) + 1)
        }
      }))
    } finally {
      chat.close()
    }
    // a holder that neither makes the backup nor keeps the catalog is frozen meanwhile: the backup
    // waits on it, so that it is surely still running when its node is killed
    const catalogOwner = await cluster.ownerOf(b, 'backups', 'backup', 'cluster')
    const frozen = cluster.slots.find((s) => s !== a && s.peerId !== catalogOwner) as NodeSlot
    // the member asked while one is frozen and the other killed
    const watcher = cluster.slots.find((s) => s !== a && s !== frozen) as NodeSlot
    process.kill(frozen.node.pid, 'SIGSTOP')
    let id = ''
    try {
      const started = await cluster.api<JobRow>(a, '/backups', { method: 'POST', body: { note: 'interrupted' } })
      id = (started as unknown as { target: string }).target
      // killed once the catalog lists it (what a restart finds)
      await waitFor(async () => (await cluster.api<Array<{ id: string, state: string }>>(watcher, '/backups')).some((x) => x.id === id && x.state === 'running'), 'the backup listed as running', { timeout: 60_000, interval: 10 })
      await a.node.stop('SIGKILL')
    } finally {
      process.kill(frozen.node.pid, 'SIGCONT')
    }
    // the catalog may have been on the killed node: asks fail with 503 until it has moved
    const backups = async (via: NodeSlot): Promise<Array<{ id: string, state: string }> | undefined> => await cluster.api<Array<{ id: string, state: string }>>(via, '/backups').catch(() => undefined)
    let listed: Array<{ id: string, state: string }> | undefined
    await waitFor(async () => (listed = await backups(watcher)) !== undefined, 'the catalog to answer', { timeout: 60_000, interval: 100 })
    expect(listed?.find((x) => x.id === id)?.state, 'killed before it ended').to.equal('running')
    const again = await cluster.restart(0)
    await waitFor(async () => { const state = (await backups(again))?.find((x) => x.id === id)?.state; return state !== undefined && state !== 'running' }, 'the resumed backup to end', { timeout: 120_000, interval: 100 })
    const [entry] = await cluster.api<Array<{ id: string, state: string, note: string, resumed: number, node: string, stats: { entities: number, records: number } }>>(again, '/backups')
    expect(entry).to.deep.include({ id, state: 'done', note: 'interrupted', resumed: 1, node: again.peerId })
    // 24 rooms, the room directory, the user directory, the audit trail (adding the user was recorded)
    expect(entry?.stats.entities).to.equal(27)
    // the catalog says done as the job's last step; the job itself ends a moment after (found by
    // a full run: the job read 'running' between the two)
    const jobState = async (): Promise<string | undefined> => (await cluster.api<{ jobs: Array<{ kind: string, target: string, state: string, node: string }> }>(again, '/jobs?kind=backup')).jobs.find((j) => j.target === id && j.node === again.peerId)?.state
    let state: string | undefined
    await waitFor(async () => (state = await jobState()) !== 'running', 'the resumed backup\'s job to end', { timeout: 30_000, interval: 50 })
    expect(state).to.equal('done')
    // whole: every copy read and checked, and every room's records in it (every member up again).
    // A holder out of the resumed backup's view as it wrote (the frozen member, just thawed, may be
    // judged down for a moment) got no copy then: a full verify puts such copies back, and nothing
    // else may be wrong; a second finds every copy whole
    await cluster.awaitUp(3)
    const verifyOnce = async (): Promise<JobRow> => {
      const verify = await cluster.api<JobRow>(again, `/backups/${id}/verify`, { method: 'POST', body: { full: true } })
      await waitFor(async () => (await cluster.api<JobRow>(again, `/jobs/${verify.id}`)).state !== 'running', 'the verify job to end', { timeout: 60_000, interval: 100 })
      return await cluster.api<JobRow>(again, `/jobs/${verify.id}`)
    }
    const mended = await verifyOnce()
    expect(mended.state, `${mended.message} ${mended.error ?? ''}`).to.equal('done')
    expect(mended.left.filter((l) => !/^[^:;]+: missing; put back from [^;]+(; [^:;]+: missing; put back from [^;]+)*$/.test(l.why)), 'only missing copies, each put back').to.deep.equal([])
    const checked = await verifyOnce()
    expect([checked.state, checked.left]).to.deep.equal(['done', []])
    const dry = await cluster.api<JobRow>(again, `/backups/${id}/restore`, { method: 'POST', body: { dryRun: true } })
    await waitFor(async () => (await cluster.api<JobRow>(again, `/jobs/${dry.id}`)).state !== 'running', 'the dry run to end', { timeout: 60_000, interval: 100 })
    const compared = await cluster.api<JobRow>(again, `/jobs/${dry.id}`)
    for (const [room, count] of posted) {
      expect(compared.left.find((l) => l.item === `room/${room}`)?.why, room).to.equal(`${count} records now and in the backup: rewritten as the backup's`)
    }
  })
})
