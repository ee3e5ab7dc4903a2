import { expect } from 'chai'
import { BackupKey, checkManifest, generateBackupKey, manifestRoot, openManifest, sealManifest } from '../../../node/backup/index.ts'
import type { BackupManifest, ManifestPartition } from '../../../node/backup/index.ts'
import { partitionOf } from '../../../node/index.ts'
import { storedCut, useChunkPool, writeStream } from '../../helpers/stored-cuts.ts'
import { thrown } from '../../helpers/thrown.ts'

const pools = useChunkPool()

const key = new BackupKey(Buffer.alloc(32, 3))
const other = BackupKey.parse(generateBackupKey())
const PARTITIONS = 8

/** A real manifest: two partitions' streams written under the key. */
async function manifest (id = 'b-1'): Promise<BackupManifest> {
  const byPartition = new Map<number, string[]>()
  for (let i = 0; i < 40; i++) {
    const entity = `room/m${i}`
    const p = partitionOf(entity, PARTITIONS)
    byPartition.set(p, [...byPartition.get(p) ?? [], entity])
  }
  const partitions: ManifestPartition[] = await Promise.all([...byPartition.entries()].sort((a, b) => a[0] - b[0]).slice(0, 2).map(async ([partition, entities]) => {
    // (every other one with the snapshot its replica held)
    const cuts = entities.sort().map((entity, i) => ({
      ...storedCut(entity, [1, 2, 3].map((seq) => ({ seq, epoch: 1, event: { text: `${entity} ${seq} ${'x'.repeat(300)}` } })), { partitions: PARTITIONS }),
      ...(i % 2 === 0 && { latest: { seq: 2, state: { posts: 2 } } })
    }))
    const { chunks, blocks } = await writeStream(pools.pool, key, cuts, { minSize: 256, avgSize: 1_024, maxSize: 4_096 }, new Map(), partition)
    return { partition, chunks: chunks.map(({ id, size, digest }) => ({ id, size, digest })), blocks }
  }))
  return { format: 3, id, createdAt: '2026-11-24T16:00:00.000Z', note: 'nightly', keyFingerprint: key.fingerprint, partitionCount: PARTITIONS, partitions }
}

/** `m` with the first snapshot (or last record) a block names changed by `change` (null: the field null). */
function withSnapshot (m: BackupManifest, change: object | null, field: 'snapshot' | 'last' = 'snapshot'): BackupManifest {
  const [p0, ...rest] = m.partitions as [ManifestPartition, ...ManifestPartition[]]
  const at = p0.blocks.findIndex((b) => b[field] !== undefined)
  const blocks = p0.blocks.map((b, i) => i === at ? { ...b, [field]: change === null ? null : { ...b[field], ...change } } : b)
  return { ...m, partitions: [{ ...p0, blocks } as unknown as ManifestPartition, ...rest] }
}

describe('backup manifests: sealed under their own key, checked whole when opened', () => {
  it('should open what it sealed, and refuse another key, another backup\'s id and any flipped byte', async () => {
    const m = await manifest()
    const sealed = sealManifest(key, m)
    expect(openManifest(key, 'b-1', sealed, key.fingerprint)).to.deep.equal(m)
    const mismatch = thrown(() => openManifest(other, 'b-1', sealed, key.fingerprint))
    expect(mismatch.name).to.equal('BackupKeyMismatchError')
    expect(mismatch.message).to.include(`made with backup key ${key.fingerprint}; this node holds key ${other.fingerprint}`)
    expect(thrown(() => openManifest(other, 'b-1', sealed)).name).to.equal('BackupFormatError')
    expect(thrown(() => openManifest(key, 'b-2', sealed)).name).to.equal('BackupFormatError')
    for (const at of [0, 5, 20, sealed.byteLength - 1]) {
      const damaged = Buffer.from(sealed)
      damaged[at] = (damaged[at] as number) ^ 1
      expect(thrown(() => openManifest(key, 'b-1', damaged)).name, `byte ${at}`).to.equal('BackupFormatError')
    }
  })

  it('should give a root that every chunk\'s id and digest count in', async () => {
    const m = await manifest()
    const root = manifestRoot(m)
    const p = m.partitions[1] as ManifestPartition
    const changed: BackupManifest = { ...m, partitions: [m.partitions[0] as ManifestPartition, { ...p, chunks: p.chunks.map((c, i) => i === 0 ? { ...c, digest: c.digest.replace(/^./, (d) => d === 'a' ? 'b' : 'a') } : c) }] }
    expect(manifestRoot(changed)).to.not.equal(root)
    expect(manifestRoot(structuredClone(m))).to.equal(root)
  })

  it('should refuse a manifest that does not hold together', async () => {
    const m = await manifest()
    const [p0, p1] = m.partitions as [ManifestPartition, ManifestPartition]
    const bad: unknown[] = [
      null, { ...m, format: 4 }, { ...m, id: 'no spaces' }, { ...m, createdAt: 'yesterday' }, { ...m, keyFingerprint: 'x' },
      { ...m, partitions: [p1, p0] },
      { ...m, partitionCount: p1.partition },
      { ...m, partitions: [{ ...p0, blocks: [...p0.blocks].reverse() }, p1] },
      { ...m, partitions: [{ ...p0, blocks: p0.blocks.slice(1) }, p1] },
      { ...m, partitions: [{ ...p0, chunks: p0.chunks.slice(1) }, p1] },
      { ...m, partitions: [{ ...p0, blocks: p1.blocks }, { ...p1, blocks: p0.blocks }] },
      { ...m, partitions: [{ ...p0, chunks: [{ ...p0.chunks[0], size: 0 }, ...p0.chunks.slice(1)] }, p1] },
      // a block's snapshot past its head, or outside the block (or over its end), or not a frame
      ...[{ seq: 4 }, { seq: 0 }, { offset: 1 }, { length: 5 }, { length: 10_000 }, { offset: 1.5 }].map((change) => withSnapshot(m, change)),
      withSnapshot(m, null),
      // a block's last record outside it (or over its snapshot and end), shorter than a sealed
      // record's frame, or after a record of a later epoch than the head's
      ...[{ offset: 1 }, { length: 10 }, { length: 10_000 }, { prevEpoch: 2 }, { prevEpoch: -1 }, { prevEpoch: 0.5 }].map((change) => withSnapshot(m, change, 'last')),
      withSnapshot(m, null, 'last')
    ]
    expect(p0.blocks.filter((b) => b.snapshot !== undefined), 'blocks with their snapshots').to.have.length.greaterThan(0)
    expect(p0.blocks.every((b) => b.last !== undefined), 'blocks with their last records').to.equal(true)
    expect(() => { checkManifest(withSnapshot(m, { prevEpoch: 0 }, 'last')) }, 'an earlier epoch before the head').to.not.throw()
    for (const [i, value] of bad.entries()) expect(thrown(() => { checkManifest(value) }).name, `case ${i}`).to.equal('BackupFormatError')
    expect(thrown(() => sealManifest(other, m)).name).to.equal('InvalidBackupInputError')
  })
})
