import { expect } from 'chai'
import type { BackupEntry } from '../../../actors/index.ts'
import { chunkSpan } from '../../../node/backup/index.ts'
import type { EntityBlock, ManifestPartition } from '../../../node/backup/index.ts'
import { backupKey, finished, post, readBack, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { recordKey } from '../../../node/replication/index.ts'

const key = backupKey

describe('BackupCreator', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should back up every room whole and give each back record by record, from only the chunks its block spans', async () => {
    const { nodes, service, jobs } = await cluster()
    const written: Written = new Map()
    for (let i = 0; i < 30; i++) await post(nodes, written, `room/r${i}`, 5 + (i * 7) % 60)
    const job = await finished(jobs, service.create('first'))
    expect(job.state, job.error ?? '').to.equal('done')
    const [entry] = await service.list()
    expect(entry).to.deep.include({ state: 'done', note: 'first', keyFingerprint: key.fingerprint })
    expect(entry?.stats?.entities).to.equal(30)
    expect(entry?.stats?.records).to.equal([...written.values()].reduce((n, r) => n + r.length, 0))
    expect(entry?.manifest?.holders).to.have.length(2)
    const manifest = await service.manifest((entry as BackupEntry).id)
    const back = await readBack(nodes, manifest)
    expect([...back.keys()].sort()).to.deep.equal([...written.keys()].sort())
    for (const [entity, records] of written) expect(back.get(entity), entity).to.deep.equal(records)
    // one room alone
    expect((await readBack(nodes, manifest, 'room/r7')).get('room/r7')).to.deep.equal(written.get('room/r7'))
    // every chunk is on 2 holders, as ciphertext only
    const verified = await finished(jobs, service.verify((entry as BackupEntry).id, true))
    expect(verified.state, verified.error ?? '').to.equal('done')
  })

  it('should never back up a record that rotted in its own store: scrub is told, and the record is taken whole from another replica', async () => {
    const { nodes, service, jobs } = await cluster()
    const [a] = nodes as [typeof nodes[number]]
    const written: Written = new Map()
    for (let i = 0; i < 6; i++) await post(nodes, written, `room/rot${i}`, 40)
    // a flipped byte in record 17 of room/rot3 on the node making the backup (its seal no longer matches)
    const p = a.journal.storage.partitionOf('room/rot3')
    const key = recordKey(p, 'room/rot3', 17)
    const stored = Buffer.from(await a.journal.storage.store.getRaw(key) as Uint8Array)
    stored[stored.byteLength - 5] = (stored[stored.byteLength - 5] as number) ^ 0x40
    await a.journal.storage.store.putRawForTesting(key, stored)
    const told: string[] = []
    const before = a.journal.storage.onDamaged
    a.journal.storage.onDamaged = (k) => { told.push(k); before?.(k) }
    const job = await finished(jobs, service.create('with a rotten record'))
    expect(job.state, job.error ?? '').to.equal('done')
    expect(told).to.include(key)
    const [entry] = await service.list()
    expect(entry?.stats?.entities).to.equal(6)
    expect(entry?.stats?.records).to.equal(240)
    const back = await readBack(nodes, await service.manifest((entry as BackupEntry).id))
    for (const [entity, records] of written) expect(back.get(entity), entity).to.deep.equal(records)
  })

  it('should read a partition again, each record checked, when a journal streamed from its own store turns out part way to miss a record', async () => {
    const { nodes, service, jobs } = await cluster()
    const [a] = nodes as [typeof nodes[number]]
    const written: Written = new Map()
    for (let i = 0; i < 6; i++) await post(nodes, written, `room/gap${i}`, 40)
    // record 17 of room/gap2 gone from the store of the node making the backup (scrub would put it
    // back; the backup must not wait for it): its stream fails at that page, after the pages before
    await a.journal.storage.store.write([{ type: 'del', key: recordKey(a.journal.storage.partitionOf('room/gap2'), 'room/gap2', 17) }])
    const job = await finished(jobs, service.create('with a lost record'))
    expect(job.state, job.error ?? '').to.equal('done')
    const [entry] = await service.list()
    expect(entry?.stats?.records).to.equal(240)
    const back = await readBack(nodes, await service.manifest((entry as BackupEntry).id))
    for (const [entity, records] of written) expect(back.get(entity), entity).to.deep.equal(records)
  })

  it('should store only the changed room\'s new chunks in the next backup after posting to one room of 100', async () => {
    const { nodes, service, jobs } = await cluster()
    const written: Written = new Map()
    for (let i = 0; i < 100; i++) await post(nodes, written, `room/c${i}`, 10)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    await post(nodes, written, 'room/c42', 3)
    const second = await finished(jobs, service.create())
    expect(second.state, second.error ?? '').to.equal('done')
    // every partition but the changed room's is taken from the first backup, not read again
    expect(second.message).to.match(/; 15 partitions unchanged since bk-[a-z0-9-]+, not read again;/)
    const [one, two] = await service.list() as [BackupEntry, BackupEntry]
    const stats = two.stats as NonNullable<BackupEntry['stats']>
    const manifest = await service.manifest(two.id)
    const partition = manifest.partitions.find((p) => p.blocks.some((b) => b.entity === 'room/c42')) as ManifestPartition
    const span = chunkSpan(partition.chunks.map((c) => c.size), partition.blocks.find((b) => b.entity === 'room/c42') as EntityBlock)
    // new: the chunks around the changed room's block, nothing of the other 99 rooms
    expect(stats.newChunks, `${stats.newChunks} new of ${stats.chunks}`).to.be.at.most(span.last - span.first + 2)
    expect(stats.newBytes).to.be.lessThan((one.stats?.bytes ?? 0) / 10)
    // and every room reads back whole from it, the unchanged ones from the chunks the first stored
    const back = await readBack(nodes, manifest)
    for (const [entity, records] of written) expect(back.get(entity), entity).to.deep.equal(records)
  })

  it('should seal the same content alike: a chunk met again in the next backup has the same id and digest, and is not sent again', async () => {
    const { nodes, service, jobs } = await cluster()
    // records are kept as stored, each with a seal over its own key: two rooms never share bytes,
    // but a room read again gives the same chunks
    const written: Written = new Map()
    for (let i = 0; i < 12; i++) await post(nodes, written, `room/same${i}`, 200)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [first] = await service.list() as [BackupEntry]
    // one more post to each room: every partition is read again, and each room's block but its end is unchanged
    for (let i = 0; i < 12; i++) await post(nodes, written, `room/same${i}`, 1)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const second = (await service.list()).at(-1) as BackupEntry
    const before = new Map((await service.manifest(first.id)).partitions.flatMap((p) => p.chunks.map((c) => [c.id, c.digest] as const)))
    const after = (await service.manifest(second.id)).partitions.flatMap((p) => p.chunks)
    const again = after.filter((c) => before.has(c.id))
    expect(again.length, 'chunks met again').to.be.greaterThan(0)
    expect(again.every((c) => before.get(c.id) === c.digest)).to.equal(true)
    expect(second.stats?.newChunks).to.equal(after.length - again.length)
    for (const b of await service.list()) {
      const check = await finished(jobs, service.verify(b.id, true))
      expect([check.state, check.left], b.id).to.deep.equal(['done', []])
    }
  })

  it('should stop a backup that is cancelled, and list it as failed', async () => {
    const { nodes, service, jobs } = await cluster()
    const written: Written = new Map()
    for (let i = 0; i < 30; i++) await post(nodes, written, `room/x${i}`, 20)
    const job = service.create('to be cancelled')
    jobs.cancel(job.id)
    const ended = await finished(jobs, job)
    expect(ended.state).to.equal('cancelled')
    await waitFor(async () => (await service.list())[0]?.state === 'failed', 'the catalog to say failed', { timeout: 10_000, interval: 20 })
    const [entry] = await service.list() as [BackupEntry]
    expect(entry).to.include({ note: 'to be cancelled', state: 'failed' })
    expect(entry.error).to.match(/cancel/i)
  })
})
