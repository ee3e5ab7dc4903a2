import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import type { BackupEntry } from '../../../actors/index.ts'
import { BackupCheckpoint } from '../../../node/backup/backup-checkpoint.ts'
import { BackupContext } from '../../../node/backup/backup-context.ts'
import { ciphertextDigest, openManifest, sealChunk } from '../../../node/backup/index.ts'
import type { ManifestPartition } from '../../../node/backup/index.ts'
import { Uploader } from '../../../node/backup/uploader.ts'
import { partitionOf } from '../../../node/replication/index.ts'
import { askCatalog, backupKey as key, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { BackupCluster } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

describe('BackupCheckpoint', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  /** A running backup `bk-1` of two partitions in the catalog, and a checkpoint of it. */
  async function running (c: BackupCluster, checkpointMs: number, warned: string[] = []): Promise<{ ctx: BackupContext, uploader: Uploader, checkpoint: BackupCheckpoint }> {
    const a = c.nodes[0] as TestNode
    await askCatalog(a, { type: 'begin', id: 'bk-1', note: '', keyFingerprint: key.fingerprint, node: a.id, ts: 1 })
    const ctx = new BackupContext({ ...c.options, checkpointMs, log: { info: () => undefined, warn: (_o, m) => { warned.push(m) } } })
    const uploader = new Uploader(c.options, new AbortController().signal, (node) => ctx.holders.client(node), () => undefined)
    const checkpoint = new BackupCheckpoint(ctx, { key, id: 'bk-1', note: '', partitionCount: 2, uploader, last: null })
    return { ctx, uploader, checkpoint }
  }

  /** Partition 0 holding one entity in one sealed chunk (partition of a 2-partition backup). */
  function partitionWithChunk (): { part: ManifestPartition, chunk: { id: string, digest: string, sealed: Uint8Array } } {
    const plain = randomBytes(500)
    const id = key.chunkId(plain)
    const sealed = sealChunk(key, id, plain)
    const digest = ciphertextDigest(sealed)
    // an entity of partition 0 of 2
    const entity = ['room/a', 'room/b', 'room/c', 'room/d'].find((e) => partitionOf(e, 2) === 0) as string
    return { part: { partition: 0, chunks: [{ id, size: 500, digest }], blocks: [{ entity, offset: 0, length: 500, head: 1, headEpoch: 1 }] }, chunk: { id, digest, sealed } }
  }

  const entryOf = async (c: BackupCluster): Promise<BackupEntry> => (await c.service.list()).find((b) => b.id === 'bk-1') as BackupEntry

  it('should record only partitions whose chunks every holder acknowledged, sealed as a partial manifest', async () => {
    const c = await cluster()
    const { ctx, uploader, checkpoint } = await running(c, 0)
    const { part, chunk } = partitionWithChunk()
    await uploader.add(chunk)
    checkpoint.offer([part], new Set())
    await checkpoint.settled()
    expect([checkpoint.last, (await entryOf(c)).checkpoint]).to.deep.equal([null, null])
    await uploader.flush()
    checkpoint.offer([part], new Set())
    await checkpoint.settled()
    const ref = checkpoint.last
    expect(ref).to.not.equal(null)
    expect((await entryOf(c)).checkpoint).to.deep.equal(ref)
    const partial = openManifest(key, 'bk-1', await ctx.holders.fetch(ref!.digest, ref!.digest, ref!.holders))
    expect(partial.partitions).to.deep.equal([part])
    expect(partial.partitionCount).to.equal(2)
  })

  it('should replace its checkpoint with a newer one, dropping the old from its holders, and skip one that adds nothing', async () => {
    const c = await cluster()
    const { ctx, checkpoint } = await running(c, 0)
    const empty: ManifestPartition = { partition: 1, chunks: [], blocks: [] }
    checkpoint.offer([undefined, empty], new Set())
    await checkpoint.settled()
    const first = checkpoint.last!
    // what a resumed backup had done before (or found empty) is no reason for a new one
    checkpoint.offer([undefined, empty], new Set([1]))
    await checkpoint.settled()
    expect(checkpoint.last).to.equal(first)
    checkpoint.offer([{ partition: 0, chunks: [], blocks: [] }, empty], new Set())
    await checkpoint.settled()
    const second = checkpoint.last!
    expect(second.digest).to.not.equal(first.digest)
    for (const node of first.holders) expect(await ctx.holders.client(node).has([first.digest])).to.deep.equal([false])
    expect((await entryOf(c)).checkpoint).to.deep.equal(second)
  })

  it('should record none before one is due', async () => {
    const c = await cluster()
    const { checkpoint } = await running(c, 60_000)
    checkpoint.offer([{ partition: 0, chunks: [], blocks: [] }], new Set())
    await checkpoint.settled()
    expect([checkpoint.last, (await entryOf(c)).checkpoint]).to.deep.equal([null, null])
  })

  it('should be fenced out once another node took the backup over, logging that its checkpoint was not recorded', async () => {
    const c = await cluster()
    const warned: string[] = []
    const { checkpoint } = await running(c, 0, warned)
    await askCatalog(c.nodes[0] as TestNode, { type: 'resume', id: 'bk-1', from: c.options.self, node: 'n2', ts: 2 })
    checkpoint.offer([{ partition: 0, chunks: [], blocks: [] }], new Set())
    await checkpoint.settled()
    expect((checkpoint.fenced as Error).name).to.equal('BackupCatalogError')
    expect(checkpoint.last).to.equal(null)
    expect(warned).to.have.length(1)
    expect(warned[0]).to.match(/^backup bk-1: checkpoint not recorded: backup bk-1 is being made by n2/)
  })
})
