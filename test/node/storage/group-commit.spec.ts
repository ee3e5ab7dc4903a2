import { expect } from 'chai'
import { ClassicLevel } from 'classic-level'
import { GroupCommitWriter } from '../../../node/storage/group-commit.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('GroupCommitWriter', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let db: ClassicLevel<string, Uint8Array>
  beforeEach(async () => {
    dir = await tempDir()
    db = new ClassicLevel<string, Uint8Array>(dir.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
  })
  afterEach(async () => {
    await db.close()
    await dir.remove()
  })
  const v = (s: string): Uint8Array => new TextEncoder().encode(s)

  it('should put the writes of one turn in one batch, in the order they came, each told once it landed', async () => {
    const writer = new GroupCommitWriter(db, true)
    const landed: string[] = []
    const writes = Array.from({ length: 10 }, (_, i) => writer.write([{ type: 'put', key: 'k', value: v(`w${i}`) }], () => { landed.push(`w${i}`) }))
    await Promise.all(writes)
    expect(writer.stats).to.include({ batches: 1, operations: 10 })
    expect(landed).to.deep.equal(writes.map((_, i) => `w${i}`))
    // the last write of the batch is what the key holds
    expect(new TextDecoder().decode(await db.get('k') as Uint8Array)).to.equal('w9')
  })

  it('should fail every write of a batch that fails, write the next one, and refuse writes once closed', async () => {
    const writer = new GroupCommitWriter(db, false)
    writer.failNext(new Error('disk full'))
    const failed = await Promise.allSettled([writer.write([{ type: 'put', key: 'a', value: v('1') }]), writer.write([{ type: 'put', key: 'b', value: v('2') }])])
    expect(failed.map((r) => r.status)).to.deep.equal(['rejected', 'rejected'])
    expect(await db.get('a')).to.equal(undefined)
    await writer.write([{ type: 'put', key: 'c', value: v('3') }, { type: 'del', key: 'c' }, { type: 'put', key: 'd', value: v('4') }])
    expect(await db.get('c')).to.equal(undefined)
    expect(await db.get('d')).to.not.equal(undefined)
    await writer.close()
    const err = await writer.write([{ type: 'put', key: 'e', value: v('5') }]).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'StoreClosedError')
  })
})
