import { expect } from 'chai'
import { ClassicLevel } from 'classic-level'
import { BatchedReader } from '../../../node/storage/batched-reader.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('BatchedReader', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let db: ClassicLevel<string, Uint8Array>
  beforeEach(async () => {
    dir = await tempDir()
    db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    const ops = []
    for (const entity of ['room/a', 'room/b']) for (let seq = 1; seq <= 50; seq++) ops.push({ type: 'put' as const, key: `r\x00${entity}\x00${String(seq).padStart(4, '0')}`, value: new TextEncoder().encode(`${entity} ${seq}`) })
    await db.batch(ops)
  })
  afterEach(async () => {
    await db.close()
    await dir.remove()
  })
  const key = (entity: string, seq: number): string => `r\x00${entity}\x00${String(seq).padStart(4, '0')}`
  const text = (v: Uint8Array | undefined): string | undefined => v === undefined ? undefined : new TextDecoder().decode(v)

  it('should read the keys asked in one turn together, each caller getting its own in the order it asked', async () => {
    const reader = new BatchedReader(db)
    const [first, second, none] = await Promise.all([
      reader.getMany([key('room/a', 9), key('room/a', 2), key('room/b', 50)]),
      reader.getMany([key('room/b', 1), key('room/a', 99)]),
      reader.getMany([])
    ])
    expect(first.map(text)).to.deep.equal(['room/a 9', 'room/a 2', 'room/b 50'])
    expect(second.map(text)).to.deep.equal(['room/b 1', undefined])
    expect(none).to.deep.equal([])
    expect(reader.stats).to.include({ reads: 1, keys: 5 })
  })

  it('should reach keys far apart in one run by key when the run\'s range read stops short, and refuse reads once closed', async () => {
    const reader = new BatchedReader(db)
    // two keys of one entity 48 records apart: the range read may read 2 × RUN_SPREAD entries
    const values = await reader.getMany([key('room/a', 1), key('room/a', 49)])
    expect(values.map(text)).to.deep.equal(['room/a 1', 'room/a 49'])
    await reader.close()
    const err = await reader.getMany([key('room/a', 1)]).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'StoreClosedError')
  })
})
