import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, stat } from 'node:fs/promises'
import { PACK_RECORD_HEADER_BYTES, PACK_RECORD_PUT, PACK_RECORD_REMOVE } from '../../../node/backup/constants.ts'
import { PackIndex } from '../../../node/backup/pack-index.ts'
import { ZERO_DIGEST, sha256 } from '../../../node/backup/pack-record.ts'
import { scanPack } from '../../../node/backup/pack-scan.ts'
import { PackWriter } from '../../../node/backup/pack-writer.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

const H = PACK_RECORD_HEADER_BYTES

describe('PackWriter', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let writer: PackWriter | undefined
  beforeEach(async () => { dir = await tempDir('plexi-pack-writer-') })
  afterEach(async () => {
    await writer?.close()
    writer = undefined
    await dir.remove()
  })

  async function make (target: number): Promise<{ writer: PackWriter, index: PackIndex }> {
    const index = new PackIndex()
    writer = new PackWriter(dir.path, target, index)
    await mkdir(writer.packsDir, { recursive: true })
    await writer.newPack(1)
    return { writer, index }
  }

  const putOf = (size: number): { kind: typeof PACK_RECORD_PUT, id: string, digest: string, body: Buffer } => {
    const body = randomBytes(size)
    return { kind: PACK_RECORD_PUT, id: randomBytes(32).toString('hex'), digest: sha256(body).toString('hex'), body }
  }

  it('should append a batch in one write, at the offsets it gives, that a scan reads back', async () => {
    const { writer } = await make(1 << 20)
    const batch = [putOf(100), { kind: PACK_RECORD_REMOVE, id: randomBytes(32).toString('hex'), digest: ZERO_DIGEST, body: undefined } as const, putOf(50)]
    const { pack, offsets } = await writer.append(batch)
    expect(pack).to.equal(1)
    expect(offsets).to.deep.equal([0, H + 100, 2 * H + 100])
    expect(writer.commits).to.equal(1)
    expect(writer.current.size).to.equal(3 * H + 150)
    const path = writer.path(1)
    expect(path.endsWith('/packs/00000001.pack')).to.equal(true)
    const handle = await open(path, 'r')
    try {
      const scan = await scanPack(handle, (await stat(path)).size, true)
      expect(scan.records.map((r) => [r.id, r.offset])).to.deep.equal(batch.map((a, i) => [a.id, offsets[i]]))
    } finally {
      await handle.close()
    }
  })

  it('should start a new pack once the current one has reached its target, and count it in the index', async () => {
    const { writer, index } = await make(H + 100)
    await writer.append([putOf(100)])
    expect((await writer.append([putOf(100)])).pack).to.equal(2)
    expect((await writer.append([putOf(10)])).pack).to.equal(3)
    expect((await readdir(writer.packsDir)).sort()).to.deep.equal(['00000001.pack', '00000002.pack', '00000003.pack'])
    expect([...index.packs()].map((p) => p.n)).to.deep.equal([1, 2, 3])
    expect(writer.current.n).to.equal(3)
  })

  it('should refuse every write once a failed write could not be cut off', async () => {
    const { writer: broken } = await make(1 << 20)
    await broken.close()
    writer = undefined
    expect((await rejection(async () => await broken.append([putOf(10)]))).name).to.equal('ChunkStoreBrokenError')
    expect(() => { broken.checkWritable() }).to.throw(/takes no more writes/)
    expect(broken.commits).to.equal(0)
  })
})
