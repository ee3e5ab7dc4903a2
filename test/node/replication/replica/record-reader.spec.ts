import { expect } from 'chai'
import { LevelStore } from '../../../../node/index.ts'
import { SMALL_READ } from '../../../../node/replication/constants.ts'
import { RecordReader } from '../../../../node/replication/replica/record-reader.ts'
import { recordKey } from '../../../../node/replication/replica/replica-keys.ts'
import { ReplicaValues } from '../../../../node/replication/replica/replica-values.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

/** Reads of one entity's records on a real LevelDB. */
describe('RecordReader', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let damaged: string[]
  let reader: RecordReader
  const values = new ReplicaValues()
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    damaged = []
    reader = new RecordReader(store, values, () => 3, (key) => { damaged.push(key) })
  })
  afterEach(async () => {
    await store.close()
    await dir.remove()
  })
  const put = async (entity: string, seqs: number[]): Promise<void> => {
    await store.write(seqs.map((seq) => ({ type: 'put' as const, key: recordKey(3, entity, seq), value: values.encodeRecord({ seq, epoch: 1, event: { n: seq } }) })))
  }

  it('should read records in seq order, a few by their keys and more as a range, up to the end of the log', async () => {
    await put('room/a', Array.from({ length: SMALL_READ + 20 }, (_, i) => i + 1))
    const few = await reader.read('room/a', 3, 4)
    expect(few.map((r) => r.seq)).to.deep.equal([3, 4, 5, 6])
    expect(few[0]).to.deep.equal({ seq: 3, epoch: 1, event: { n: 3 } })
    const many = await reader.read('room/a', 1, SMALL_READ + 100)
    expect(many).to.have.length(SMALL_READ + 20)
    // past the end, and from 0 (read from 1)
    expect(await reader.read('room/a', SMALL_READ + 19, 10)).to.have.length(2)
    expect((await reader.read('room/a', 0, 2)).map((r) => r.seq)).to.deep.equal([1, 2])
    expect(damaged).to.deep.equal([])
  })

  it('should stop before a hole and tell it as damaged, so that no reader takes the next record for it', async () => {
    await put('room/a', [1, 2, 4, 5])
    expect((await reader.read('room/a', 1, 10)).map((r) => r.seq)).to.deep.equal([1, 2])
    expect(damaged).to.deep.equal([recordKey(3, 'room/a', 3)])
    // the first one asked for is missing while later ones are there
    expect(await reader.read('room/a', 3, 10)).to.deep.equal([])
    expect(damaged.at(-1)).to.equal(recordKey(3, 'room/a', 3))
  })

  it('should fail a read that meets a value failing its seal, telling it as damaged', async () => {
    await put('room/a', [1, 2, 3])
    const key = recordKey(3, 'room/a', 2)
    const raw = await store.getRaw(key) as Uint8Array
    raw[5] = (raw[5] as number) ^ 0xff
    await store.putRawForTesting(key, raw)
    for (const limit of [3, SMALL_READ + 1]) {
      const err = await reader.read('room/a', 1, limit).then(() => null, (e: unknown) => e)
      expect(err, `limit ${limit}`).to.have.property('name', 'CorruptRecordError')
    }
    expect(damaged).to.deep.equal([key, key])
  })

  it('should give what is stored as it is for a rebuild: holes skipped untold, a damaged value told and left out', async () => {
    await put('room/a', [3, 4, 5, 7, 8])
    const key = recordKey(3, 'room/a', 4)
    const raw = await store.getRaw(key) as Uint8Array
    raw[5] = (raw[5] as number) ^ 0xff
    await store.putRawForTesting(key, raw)
    expect((await reader.stored('room/a', 1, 100)).map((r) => r.seq)).to.deep.equal([3, 5, 7, 8])
    expect(damaged).to.deep.equal([key])
    expect((await reader.stored('room/a', 5, 2)).map((r) => r.seq)).to.deep.equal([5, 7])
    expect(await reader.stored('room/b', 1, 10)).to.deep.equal([])
  })
})
