import { expect } from 'chai'
import { BACKUPS, BACKUP_CATALOG_KEY, ROOM, backupCatalog } from '../../../actors/index.ts'
import type { BackupEntry, ChatMessage, PostAck } from '../../../actors/index.ts'
import { BackupKey, BackupService, ChunkStore, chunkSpan, ciphertextDigest, decodeBlock, generateBackupKey, holderAt, openChunk, sealChunk, spawnChunkHolder, spawnRestoreHold } from '../../../node/backup/index.ts'
import type { BackupManifest, BackupServiceOptions, EntityBlock, ManifestPartition } from '../../../node/backup/index.ts'
import { Jobs } from '../../../node/jobs/index.ts'
import type { StoredRecord } from '../../../node/index.ts'
import { meshPeer } from '../../../node/replication/index.ts'
import type { Job } from '../../../protocols/index.ts'
import { flipChunkByte, useChunkStores } from '../../helpers/chunk-stores.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

const key = new BackupKey(Buffer.alloc(32, 9))
/** Small chunks: a few hundred KiB of chat make dozens of them. */
const CHUNKER = { minSize: 1_024, avgSize: 4_096, maxSize: 16_384 }

/** What the rooms hold, as written: entity → records. */
type Written = Map<string, StoredRecord[]>

/** Appends `count` posts to `entity` on every node (each a replica: R = 3 of 3). */
async function post (nodes: readonly TestNode[], written: Written, entity: string, count: number, epoch = 1): Promise<void> {
  const have = written.get(entity) ?? []
  const records = Array.from({ length: count }, (_, i) => ({
    seq: have.length + i + 1, epoch, event: { type: 'message-posted', user: 'ann', text: `${entity} #${have.length + i + 1} ${'chat '.repeat(30)}`, ts: 1_700_000_000_000 + i }
  }))
  for (const n of nodes) {
    const p = n.journal.storage.partitionOf(entity)
    if (have.length === 0) expect(await n.journal.core(p).handle({ op: 'fence', entity, epoch, activation: `a${epoch}` })).to.include({ ok: true })
    const reply = await n.journal.core(p).handle({ op: 'append', entity, epoch, activation: `a${epoch}`, prevSeq: have.length, prevEpoch: have.length === 0 ? 0 : epoch, records })
    expect(reply.result).to.equal('ok')
  }
  written.set(entity, [...have, ...records])
}

describe('BackupService: encrypted backups of every partition on backup-role members (real libp2p, LevelDB, pack files)', function () {
  this.timeout(120_000)
  const net = useTestCluster()
  const { dirs, stores, open } = useChunkStores()

  /** Three nodes, each a storage replica and a backup holder; a service on the first. */
  async function cluster (opts: { key?: BackupKey } = {}): Promise<{ nodes: TestNode[], service: BackupService, jobs: Jobs, holders: Set<string>, options: BackupServiceOptions }> {
    const nodes = await net.of([['chat', 'backup'], ['chat', 'backup'], ['chat', 'backup']])
    const holders = new Set<string>()
    for (const n of nodes) {
      n.system.registerEntity(backupCatalog)
      const store = await open()
      spawnChunkHolder(n.system, store)
      spawnRestoreHold(n.system, n.cluster.port, { warn: () => undefined })
      holders.add(n.id)
    }
    const a = nodes[0] as TestNode
    const jobs = new Jobs({ node: a.id })
    const options: BackupServiceOptions = {
      system: a.system,
      journal: a.journal,
      self: a.id,
      key: 'key' in opts ? opts.key : key,
      holders: () => [...holders].map((peerId) => ({ peerId, roles: ['backup'], capacity: 1 })),
      copies: 2,
      jobs,
      chunker: CHUNKER,
      ownerOf: (entity) => {
        const owner = a.cluster.placement.ownerOf(entity.slice(0, entity.indexOf('/')), 'chat', entity.slice(entity.indexOf('/') + 1))
        return typeof owner === 'string' ? owner : undefined
      }
    }
    return { nodes, service: new BackupService(options), jobs, holders, options }
  }

  async function finished (jobs: Jobs, job: Job): Promise<Job> {
    const end = await jobs.settled(job.id, 60_000)
    if (end === undefined || end.state === 'running') throw new Error(`job ${job.id} did not end`)
    return end
  }

  /** Every entity of the backup, read back from its holders block by block (a one-room restore's reads). */
  async function readBack (nodes: readonly TestNode[], manifest: BackupManifest, only?: string): Promise<Written> {
    const a = nodes[0] as TestNode
    const out: Written = new Map()
    for (const p of manifest.partitions) {
      for (const block of p.blocks) {
        if (only !== undefined && block.entity !== only) continue
        out.set(block.entity, [...(await readBlock(a, nodes, p, block)).records])
      }
    }
    return out
  }

  async function readBlock (a: TestNode, nodes: readonly TestNode[], p: ManifestPartition, block: EntityBlock): Promise<ReturnType<typeof decodeBlock>> {
    const { first, last, skip } = chunkSpan(p.chunks.map((c) => c.size), block)
    const plain: Buffer[] = []
    for (const c of p.chunks.slice(first, last + 1)) {
      let sealed: Uint8Array | null = null
      for (const n of nodes) {
        sealed = await holderAt(a.system, n.id).get(c.id).catch(() => null)
        if (sealed !== null) break
      }
      if (sealed === null) throw new Error(`no holder has ${c.id}`)
      plain.push(openChunk(key, c.id, sealed))
    }
    return decodeBlock(Buffer.concat(plain).subarray(skip, skip + block.length), block)
  }

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

  it('should name the chunk a flipped byte damaged or a lost copy missing, put each back from a whole copy, and finish a backup when a holder is gone', async () => {
    const { nodes, service, jobs, holders } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 10; i++) await post(nodes, written, `room/d${i}`, 40)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const manifest = await service.manifest(entry.id)
    // lose one chunk on some holder
    const lost = manifest.partitions[0]?.chunks[0]?.id as string
    const removedFrom: string[] = []
    for (const n of nodes) {
      if (removedFrom.length === 0 && await holderAt(a.system, n.id).remove([lost]) === 1) removedFrom.push(n.id)
    }
    expect(removedFrom).to.have.length(1)
    // and flip one byte in the body of another chunk the first holder keeps
    const held = await holderAt(a.system, nodes[0]?.id as string).list('', 10_000)
    const victim = manifest.partitions.flatMap((p) => p.chunks).find((c) => held.includes(c.id) && c.id !== lost) as { id: string }
    expect(await flipChunkByte(dirs[0]?.path as string, victim.id), 'the chunk found in a pack').to.equal(true)
    const mended = await finished(jobs, service.verify(entry.id, true))
    expect(mended.state, mended.error ?? '').to.equal('done')
    expect(mended.message).to.match(/cop(y|ies) of its \d+ chunks put back from whole ones/)
    const whys = mended.left.map((l) => `${l.item} ${l.why}`).join('\n')
    expect(whys).to.match(new RegExp(`${victim.id} [^\\n]*damaged[^\\n]*put back from`))
    expect(whys).to.include(`${lost} ${removedFrom[0]}: missing; put back from`)
    // checked again, every copy is whole: by challenges too
    const clean = await finished(jobs, service.verify(entry.id, false))
    expect(clean.state, clean.error ?? '').to.equal('done')
    expect(clean.left).to.deep.equal([])
    // a flipped byte in a copy this node does not read (it reads its own, the other holder is
    // challenged), and a copy lost there, found by the holder's own re-read (verify without --full)
    const b = nodes[1] as TestNode
    const heldByBoth = new Set((await holderAt(a.system, b.id).list('', 10_000)).filter((id) => held.includes(id)))
    const [victim2, lost2] = manifest.partitions.flatMap((p) => p.chunks).filter((c) => heldByBoth.has(c.id) && c.id !== victim.id && c.id !== lost) as unknown as [{ id: string }, { id: string }]
    expect(await flipChunkByte(dirs[1]?.path as string, victim2.id), 'the chunk found in a pack of the second holder').to.equal(true)
    const challenged = await finished(jobs, service.verify(entry.id, true))
    expect(challenged.left.map((l) => `${l.item} ${l.why}`)).to.deep.equal([`${victim2.id} ${b.id}: damaged (its store found its bytes changed); put back from ${a.id}`])
    expect(await holderAt(a.system, b.id).remove([lost2.id])).to.equal(1)
    const quick = await finished(jobs, service.verify(entry.id, false))
    expect(quick.left.map((l) => `${l.item} ${l.why}`)).to.deep.equal([`${lost2.id} ${b.id}: missing; put back from ${a.id}`])
    // a holder gone: the next backup puts its chunks on the two left
    const c = nodes[2] as TestNode
    await c.stop()
    holders.delete(c.id)
    await post(nodes.slice(0, 2), written, 'room/d3', 5)
    const after = await finished(jobs, service.create())
    expect(after.state, after.error ?? '').to.equal('done')
    const [, second] = await service.list() as [BackupEntry, BackupEntry]
    expect((await readBack(nodes.slice(0, 2), await service.manifest(second.id))).get('room/d3')).to.deep.equal(written.get('room/d3'))
  })

  it('should remove a backup\'s chunks that no other backup names, and keep the others whole', async () => {
    const { nodes, service, jobs } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 20; i++) await post(nodes, written, `room/k${i}`, 15)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    await post(nodes, written, 'room/k7', 30)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [first, second] = await service.list() as [BackupEntry, BackupEntry]
    const firstChunks = new Set((await service.manifest(first.id)).partitions.flatMap((p) => p.chunks.map((c) => c.id)))
    const secondChunks = new Set((await service.manifest(second.id)).partitions.flatMap((p) => p.chunks.map((c) => c.id)))
    const onlyFirst = [...firstChunks].filter((id) => !secondChunks.has(id))
    expect(onlyFirst.length).to.be.greaterThan(0)
    const removed = await service.remove(first.id)
    expect(removed.chunks).to.equal(onlyFirst.length)
    for (const n of nodes) expect((await holderAt(a.system, n.id).has(onlyFirst)).every((held) => !held), n.id).to.equal(true)
    expect((await service.list()).map((b) => b.id)).to.deep.equal([second.id])
    const check = await finished(jobs, service.verify(second.id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
    expect((await readBack(nodes, await service.manifest(second.id))).get('room/k7')).to.deep.equal(written.get('room/k7'))
    expect(await service.remove('bk-nope').then(() => undefined, (e: Error) => e.name)).to.equal('UnknownBackupError')
  })

  it('should prune what the retention does not keep after each backup, and make backups on a schedule', async () => {
    const { nodes, jobs, options } = await cluster()
    const written: Written = new Map()
    for (let i = 0; i < 5; i++) await post(nodes, written, `room/s${i}`, 10)
    const service = new BackupService({ ...options, retention: { keepLast: 2, keepDaily: 0, keepWeekly: 0 }, scheduleMs: 50 })
    service.start()
    try {
      // the schedule makes one after another; each prunes to the newest two
      await waitFor(async () => jobs.list().filter((j) => j.kind === 'backup' && j.state === 'done').length >= 3, '3 scheduled backups done', { timeout: 30_000, interval: 20 })
    } finally {
      service.stop()
    }
    const settled = jobs.list().filter((j) => j.kind === 'backup')
    for (const j of settled) await finished(jobs, j)
    const done = (await service.list()).filter((b) => b.state === 'done')
    expect(done).to.have.length(2)
    expect(done.every((b) => b.note === 'scheduled')).to.equal(true)
    expect(settled.some((j) => /retention removed bk-/.test(j.message))).to.equal(true)
    const check = await finished(jobs, service.verify((done.at(-1) as BackupEntry).id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
  })

  it('should audit random chunks of the newest backup and put back a copy a holder lost', async () => {
    const { nodes, service, jobs } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 8; i++) await post(nodes, written, `room/u${i}`, 30)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const ids = [...new Set((await service.manifest(entry.id)).partitions.flatMap((p) => p.chunks.map((c) => c.id)))]
    const lostOn = nodes[1] as TestNode
    const held = await holderAt(a.system, lostOn.id).has(ids)
    const lost = ids.filter((_, i) => held[i] === true).slice(0, 2)
    expect(await holderAt(a.system, lostOn.id).remove(lost)).to.equal(lost.length)
    // a sample as large as the backup: every chunk
    const found = await service.audit(ids.length)
    expect(found).to.deep.equal({ checked: ids.length, repaired: lost.length, unmended: 0 })
    expect(await holderAt(a.system, lostOn.id).has(lost)).to.deep.equal(lost.map(() => true))
    expect(service.stats).to.deep.include({ audits: 1, repairs: lost.length })
    expect(await service.audit(4)).to.deep.equal({ checked: 4, repaired: 0, unmended: 0 })
  })

  it('should keep one digest for content that appears twice, in one backup and in the next (the same bytes sealed alike)', async () => {
    const { nodes, service, jobs } = await cluster()
    // two rooms with the same records: chunks inside their blocks are the same content
    const same = async (entity: string): Promise<void> => {
      for (const n of nodes) {
        const core = n.journal.core(n.journal.storage.partitionOf(entity))
        await core.handle({ op: 'fence', entity, epoch: 1, activation: 'a1' })
        const records = Array.from({ length: 200 }, (_, i) => ({ seq: i + 1, epoch: 1, event: { text: `the same words, over and over ${i} ${'la '.repeat(60)}` } }))
        expect((await core.handle({ op: 'append', entity, epoch: 1, activation: 'a1', prevSeq: 0, prevEpoch: 0, records })).result).to.equal('ok')
      }
    }
    await same('room/twin-a')
    await same('room/twin-b')
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [first] = await service.list() as [BackupEntry]
    const ids = (await service.manifest(first.id)).partitions.flatMap((p) => p.chunks.map((c) => c.id))
    expect(new Set(ids).size, 'some chunk appears twice').to.be.lessThan(ids.length)
    const written: Written = new Map()
    await post(nodes, written, 'room/other', 5)
    expect((await finished(jobs, service.create())).state).to.equal('done')
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

  it('should resume a backup its node stopped making from its checkpoint, under the same id, and back up every room whole', async () => {
    const { nodes, options } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 60; i++) await post(nodes, written, `room/r${i}`, 30)
    // the node "dies" once its first checkpoint is stored: every later put hangs, as on a dead node
    let frozen = false
    let checkpoints = 0
    const dying = new BackupService({
      ...options,
      checkpointMs: 0,
      // the other replicas do not list partitions 8 and on (the quorum waits): the first eight are
      // done, and acknowledged, before the node dies, whatever the machine's pace
      peer: (node, partition) => {
        const real = meshPeer(a.system, node, partition, a.journal.partitions)
        return partition < 8 ? real : { ...real, entities: async () => await new Promise<never>(() => undefined) }
      },
      holder: (node) => {
        const real = holderAt(a.system, node)
        return {
          ...real,
          put: async (chunks) => {
            if (frozen) return await new Promise<never>(() => undefined)
            const result = await real.put(chunks)
            // a sealed manifest is stored under its own digest: once both copies of the first
            // checkpoint are stored (its catalog record follows), the node is gone
            if (chunks.length === 1 && chunks[0]?.id === chunks[0]?.digest && ++checkpoints === 2) frozen = true
            return result
          }
        }
      }
    })
    const first = dying.create('resumed')
    await waitFor(async () => (await dying.list()).find((b) => b.id === first.target)?.checkpoint != null, 'a checkpoint in the catalog', { timeout: 30_000, interval: 20 })
    expect(checkpoints).to.equal(2)
    // the node starts again: a new job registry, the same catalog
    const jobs = new Jobs({ node: a.id })
    const restarted = new BackupService({ ...options, jobs })
    restarted.start()
    try {
      await waitFor(async () => jobs.list().length > 0, 'the backup resumed', { timeout: 30_000, interval: 20 })
      const [job] = jobs.list() as [Job]
      expect(job).to.include({ kind: 'backup', target: first.target })
      const ended = await finished(jobs, job)
      expect(ended.state, ended.error ?? '').to.equal('done')
      expect(ended.message).to.match(/resumed, \d+ partitions taken from its checkpoint/)
    } finally {
      restarted.stop()
    }
    const [entry] = await restarted.list() as [BackupEntry]
    expect(entry).to.include({ id: first.target, state: 'done', note: 'resumed', resumed: 1, node: a.id, checkpoint: null })
    const back = await readBack(nodes, await restarted.manifest(entry.id))
    expect(back).to.deep.equal(written)
    const check = await finished(jobs, restarted.verify(entry.id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
  })

  it('should take over a backup whose node is down, fence that node out, and mark failed one of another key that this node stopped making', async () => {
    const { nodes, service, jobs, options } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 5; i++) await post(nodes, written, `room/t${i}`, 10)
    const catalog = async <T>(msg: object): Promise<T> => await a.system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
    // as the catalog would say after another node died mid-backup, and after this node stopped
    // mid-backup holding another key then
    await catalog({ type: 'begin', id: 'bk-theirs', note: 'theirs', keyFingerprint: key.fingerprint, node: '12D3KooWGone', ts: 1 })
    await catalog({ type: 'begin', id: 'bk-oldkey', note: '', keyFingerprint: 'ffffffffffffffff', node: a.id, ts: 2 })
    const other = new BackupService({ ...options, live: (peer) => peer !== '12D3KooWGone' })
    const resumed = await other.resumeInterrupted()
    expect(resumed.map((j) => j.target)).to.deep.equal(['bk-theirs'])
    const ended = await finished(jobs, resumed[0] as Job)
    expect(ended.state, ended.error ?? '').to.equal('done')
    const list = await service.list()
    expect(list.find((b) => b.id === 'bk-theirs')).to.include({ state: 'done', node: a.id, resumed: 1 })
    expect(list.find((b) => b.id === 'bk-oldkey')?.state).to.equal('failed')
    expect(list.find((b) => b.id === 'bk-oldkey')?.error).to.match(/interrupted.*holds key/)
    expect((await readBack(nodes, await service.manifest('bk-theirs'))).size).to.equal(5)
    // the node that was thought down cannot end or checkpoint it any more
    await catalog({ type: 'begin', id: 'bk-split', note: '', keyFingerprint: key.fingerprint, node: '12D3KooWGone', ts: 3 })
    await catalog({ type: 'resume', id: 'bk-split', from: '12D3KooWGone', node: a.id, ts: 4 })
    const ref = { digest: 'a'.repeat(64), bytes: 10, holders: [a.id] }
    expect((await rejection(async () => await catalog({ type: 'checkpoint', id: 'bk-split', checkpoint: ref, node: '12D3KooWGone', ts: 5 }))).message).to.match(/being made by/)
    expect((await rejection(async () => await catalog({ type: 'fail', id: 'bk-split', error: 'late', node: '12D3KooWGone', ts: 6 }))).message).to.match(/being made by/)
    // and a second node resuming from the same stale view loses the compare-and-set
    expect((await rejection(async () => await catalog({ type: 'resume', id: 'bk-split', from: '12D3KooWGone', node: 'another', ts: 7 }))).message).to.match(/being made by/)
    expect(await other.remove('bk-split')).to.deep.equal({ chunks: 0, bytes: 0 })
  })

  it('should sweep the chunks no backup names, keeping every named one, and begin no backup while another node holds the lock', async () => {
    const { nodes, service, jobs } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 8; i++) await post(nodes, written, `room/s${i}`, 20)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    // what a failed backup leaves: chunks on holders that no manifest names
    const orphans = Array.from({ length: 5 }, (_, i) => {
      const plain = Buffer.from(`orphan ${i}`)
      const id = key.chunkId(plain)
      const sealed = sealChunk(key, id, plain)
      return { id, digest: ciphertextDigest(sealed), sealed }
    })
    await holderAt(a.system, nodes[1]?.id as string).put(orphans)
    await holderAt(a.system, nodes[2]?.id as string).put(orphans.slice(0, 2))
    const dry = await finished(jobs, service.sweep(true))
    expect([dry.state, dry.message]).to.deep.equal(['done', 'dry run: 7 orphan chunks on 3 holders would be removed; nothing was'])
    expect(await holderAt(a.system, nodes[1]?.id as string).has([orphans[0]?.id as string])).to.deep.equal([true])
    const swept = await finished(jobs, service.sweep(false))
    expect([swept.state, swept.message]).to.deep.equal(['done', '7 orphan chunks on 3 holders removed'])
    for (const n of nodes) expect(await holderAt(a.system, n.id).has(orphans.map((o) => o.id))).to.deep.equal(orphans.map(() => false))
    const check = await finished(jobs, service.verify(entry.id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
    expect(await readBack(nodes, await service.manifest(entry.id))).to.deep.equal(written)
    // another node holds the lock: no backup begins, nothing is removed, until it gives it back
    const catalog = async <T>(msg: object): Promise<T> => await a.system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
    await catalog({ type: 'lock', node: 'other#1', until: Date.now() + 60_000, ts: Date.now() })
    const refused = await finished(jobs, service.create())
    expect(refused.error).to.match(/other#1 is removing backup chunks/)
    expect((await rejection(async () => await service.remove(entry.id))).name).to.equal('BackupBusyError')
    expect((await finished(jobs, service.sweep(false))).error).to.match(/other#1 is removing backup chunks/)
    expect(await catalog({ type: 'unlock', node: 'other#1' })).to.equal(true)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    // a backup of another key that its node may still resume (it stopped, no job of it runs), and
    // a done one of another key: their chunks cannot be told from orphans
    await catalog({ type: 'begin', id: 'bk-stopped', note: '', keyFingerprint: 'eeeeeeeeeeeeeeee', node: a.id, ts: 4 })
    expect((await finished(jobs, service.sweep(true))).error).to.match(/bk-stopped was made with backup key eeeeeeeeeeeeeeee/)
    await catalog({ type: 'fail', id: 'bk-stopped', error: 'gone', ts: 5 })
    await catalog({ type: 'begin', id: 'bk-foreign', note: '', keyFingerprint: 'ffffffffffffffff', node: a.id, ts: 5 })
    await catalog({ type: 'complete', id: 'bk-foreign', root: 'a'.repeat(64), manifest: { digest: 'b'.repeat(64), bytes: 10, holders: [a.id] }, stats: { partitions: 0, entities: 0, records: 0, bytes: 0, chunks: 0, newChunks: 0, newBytes: 0 }, ts: 6 })
    expect((await finished(jobs, service.sweep(true))).error).to.match(/bk-foreign was made with backup key ffffffffffffffff/)
  })

  it('should put the chunks of a holder whose every put fails on the others, and complete', async () => {
    const { nodes, jobs, holders, options } = await cluster()
    const [a, , c] = nodes as [TestNode, TestNode, TestNode]
    const written: Written = new Map()
    for (let i = 0; i < 40; i++) await post(nodes, written, `room/f${i}`, 40)
    let refused = 0
    const service = new BackupService({
      ...options,
      holder: (node) => {
        const real = holderAt(a.system, node)
        return node !== c.id ? real : { ...real, put: async () => { refused++; throw new Error('disk full') } }
      }
    })
    const job = await finished(jobs, service.create())
    expect(job.state, job.error ?? '').to.equal('done')
    expect(refused).to.be.greaterThan(0)
    // c took nothing; with it out of the holders, every chunk is whole on the two left
    holders.delete(c.id)
    const [entry] = await service.list() as [BackupEntry]
    const check = await finished(jobs, service.verify(entry.id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
    const back = await readBack(nodes.slice(0, 2), await service.manifest(entry.id))
    for (const [entity, records] of written) expect(back.get(entity), entity).to.deep.equal(records)
  })

  it('should refuse to start without a key or without a holder, changing nothing', async () => {
    const { nodes, service } = await cluster({ key: undefined })
    expect(() => service.create()).to.throw(/holds no backup key: start it with --backup-key-file/)
    const a = nodes[0] as TestNode
    const noHolders = new BackupService({ system: a.system, journal: a.journal, self: a.id, key, holders: () => [], copies: 2, jobs: new Jobs({ node: a.id }) })
    expect(() => noHolders.create()).to.throw(/no member up holds the backup role/)
    expect(await service.list()).to.deep.equal([])
  })

  describe('restore', () => {
    const room = (n: TestNode, name: string) => n.system.entity(ROOM, name)
    const postTo = async (n: TestNode, name: string, text: string): Promise<PostAck> =>
      await room(n, name).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text, replyTo }), { timeout: 10_000 })
    const history = async (n: TestNode, name: string): Promise<string[]> =>
      (await room(n, name).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 1_000, replyTo }), { timeout: 10_000 })).map((m) => `${m.seq}:${m.text}`)

    it('should bring one room back as it was, record by record, with its live activation held and the other rooms untouched', async () => {
      const { nodes, service, jobs } = await cluster()
      const [a, b] = nodes as [TestNode, TestNode]
      for (let i = 0; i < 12; i++) await postTo(a, `lobby-${i % 3}`, `before ${i}`)
      expect((await finished(jobs, service.create())).state).to.equal('done')
      const [entry] = await service.list() as [BackupEntry]
      const backedUp = await history(b, 'lobby-1')
      for (let i = 0; i < 6; i++) await postTo(b, `lobby-${i % 3}`, `after ${i}`)
      const lobby2 = await history(a, 'lobby-2')
      // a dry run writes nothing and says what would change
      const dry = await finished(jobs, service.restore(entry.id, { room: 'lobby-1' }, true))
      expect(dry.state, dry.error ?? '').to.equal('done')
      expect(dry.left).to.deep.equal([{ item: 'room/lobby-1', why: '6 records now, 4 in the backup: the 2 written since would go' }])
      expect(await history(a, 'lobby-1')).to.have.length(6)
      const restored = await finished(jobs, service.restore(entry.id, { room: 'lobby-1' }, false))
      expect(restored.state, restored.error ?? '').to.equal('done')
      expect(restored.message).to.match(/restored 1 entities \(4 records\).*2 records written after it are gone/)
      // every node reads the room as it was in the backup, and it takes new posts after that
      for (const n of nodes) expect(await history(n, 'lobby-1'), n.id).to.deep.equal(backedUp)
      expect((await postTo(a, 'lobby-1', 'again')).seq).to.equal(5)
      expect(await history(b, 'lobby-2'), 'another room untouched').to.deep.equal(lobby2)
    })

    it('should restore every entity of a backup, and refuse a backup of another key before reading or writing anything', async () => {
      const { nodes, service, jobs, options } = await cluster()
      const [a] = nodes as [TestNode]
      for (let i = 0; i < 9; i++) await postTo(a, `hall-${i % 3}`, `post ${i}`)
      expect((await finished(jobs, service.create())).state).to.equal('done')
      const [entry] = await service.list() as [BackupEntry]
      const before = await Promise.all([0, 1, 2].map(async (i) => await history(a, `hall-${i}`)))
      for (let i = 0; i < 3; i++) await postTo(a, `hall-${i}`, 'later')
      const other = new BackupService({ ...options, key: BackupKey.parse(generateBackupKey()) })
      const refused = await finished(jobs, other.restore(entry.id, {}, false))
      expect(refused.state).to.equal('failed')
      expect(refused.error).to.match(/made with backup key .* this node holds key/)
      expect(await history(a, 'hall-0'), 'nothing written').to.have.length(4)
      const all = await finished(jobs, service.restore(entry.id, {}, false))
      expect(all.state, all.error ?? '').to.equal('done')
      expect(await Promise.all([0, 1, 2].map(async (i) => await history(a, `hall-${i}`)))).to.deep.equal(before)
      const missing = await finished(jobs, service.restore(entry.id, { room: 'nowhere' }, false))
      expect(missing.error).to.match(/holds no room\/nowhere/)
    })

    it('should take only the entities that changed since a time, with --since', async () => {
      const { nodes, service, jobs } = await cluster()
      const [a] = nodes as [TestNode]
      await postTo(a, 'old-room', 'long ago')
      const before = Date.now()
      await waitFor(() => Date.now() > before, 'the clock to move on')
      const since = Date.now()
      await postTo(a, 'new-room', 'just now')
      expect((await finished(jobs, service.create())).state).to.equal('done')
      const [entry] = await service.list() as [BackupEntry]
      const dry = await finished(jobs, service.restore(entry.id, { since }, true))
      expect(dry.state, dry.error ?? '').to.equal('done')
      // the room, and the directory that registered it
      expect(dry.left.map((l) => l.item)).to.include('room/new-room').and.not.include('room/old-room')
      const none = await finished(jobs, service.restore(entry.id, { since: Date.now() + 3_600_000 }, true))
      expect(none.error).to.match(/holds no entity changed at or after/)
    })

    it('should keep each restore in the catalog, and resume one whose node is down from its cursor, leaving the entities before it alone', async () => {
      const { nodes, service, jobs, options } = await cluster()
      const a = nodes[0] as TestNode
      const written: Written = new Map()
      for (let i = 0; i < 12; i++) await post(nodes, written, `room/m${i}`, 5)
      expect((await finished(jobs, service.create())).state).to.equal('done')
      const [entry] = await service.list() as [BackupEntry]
      const order = (await service.manifest(entry.id)).partitions.flatMap((p) => p.blocks.map((b) => b.entity))
      expect(order).to.have.length(12)
      // every room grows after the backup
      for (const room of order) await post(nodes, written, room, 2)
      const head = async (entity: string): Promise<number> => (await a.journal.core(a.journal.storage.partitionOf(entity)).handle({ op: 'summary', entity })).head
      // as the catalog would say after a node died restoring the whole backup, 5 entities in
      const catalog = async <T>(msg: object): Promise<T> => await a.system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
      await catalog({ type: 'restore-begin', id: 'rs-gone', backup: entry.id, selection: {}, total: 12, node: '12D3KooWGone', ts: 1 })
      await catalog({ type: 'restore-progress', id: 'rs-gone', cursor: 5, node: '12D3KooWGone' })
      const other = new BackupService({ ...options, live: (peer) => peer !== '12D3KooWGone' })
      const resumed = await other.resumeInterrupted()
      expect(resumed.map((j) => [j.kind, j.target])).to.deep.equal([['restore', entry.id]])
      const ended = await finished(jobs, resumed[0] as Job)
      expect(ended.state, ended.error ?? '').to.equal('done')
      expect(ended.message).to.match(/restored 7 entities .*resumed at entity 6 of 12 \(restore rs-gone\)/)
      for (const [i, room] of order.entries()) expect(await head(room), room).to.equal(i < 5 ? 7 : 5)
      expect((await other.restores()).find((r) => r.id === 'rs-gone')).to.include({ state: 'done', cursor: 12, node: a.id, resumed: 1 })
      // a restore from start to end is kept too; a dry run is not
      expect((await finished(jobs, service.restore(entry.id, { room: 'm0' }, true))).state).to.equal('done')
      expect((await finished(jobs, service.restore(entry.id, { room: 'm0' }, false))).state).to.equal('done')
      expect(await head('room/m0')).to.equal(5)
      const kept = (await service.restores()).filter((r) => r.id !== 'rs-gone')
      expect(kept).to.have.length(1)
      expect(kept[0]).to.deep.include({ backup: entry.id, selection: { room: 'm0' }, state: 'done', total: 1, cursor: 1, node: a.id, resumed: 0, error: null })
    })
  })
})
