import { expect } from 'chai'
import { ReplicaValues, frameStored, recordKey, sealedRecord, sealedRecords, storedRecordEpoch, unframeStored } from '../../../../node/replication/index.ts'
import { seal } from '../../../../node/storage/index.ts'
import { thrown } from '../../../helpers/thrown.ts'

const values = new ReplicaValues()
const stored = (seq: number, epoch: number, event: unknown = { n: seq }, rev?: number): Uint8Array =>
  seal(recordKey(3, 'room/x', seq), values.encodeRecord({ seq, epoch, event, ...(rev !== undefined && { rev }) }))

describe('stored records: records carried as the store keeps them, not decoded', () => {
  it('should read a stored record\'s epoch from its first bytes, in every integer form msgpack writes it', () => {
    for (const epoch of [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40]) {
      expect(storedRecordEpoch(stored(1, epoch)), String(epoch)).to.equal(epoch)
    }
    // not a record: no seal, not a map, a map whose first key is not `e`
    expect(storedRecordEpoch(Buffer.alloc(10))).to.equal(undefined)
    expect(storedRecordEpoch(seal('k', values.encode([1, 2, 3])))).to.equal(undefined)
    expect(storedRecordEpoch(seal('k', values.encode({ v: 1, e: 2 })))).to.equal(undefined)
    expect(storedRecordEpoch(seal('k', values.encode({ e: -1, v: 2 })))).to.equal(undefined)
  })

  it('should decode a sealed record\'s event and revision only when asked, and refuse one that does not decode then', () => {
    const value = stored(7, 3, { text: 'hi' }, 2)
    const r = sealedRecord(7, value)
    expect([r?.seq, r?.epoch, r?.sealed]).to.deep.equal([7, 3, value])
    expect([r?.event, r?.rev, r?.revEpoch]).to.deep.equal([{ text: 'hi' }, 2, undefined])
    const damaged = Buffer.from(stored(8, 3, { text: 'x' }))
    // the event's first byte (after the seal and `{ e: 3, v:`)
    damaged[33 + 3 + 2 + 1 + 2] = 0xc1
    const bad = sealedRecord(8, damaged)
    expect(bad?.epoch).to.equal(3)
    expect(thrown(() => bad?.event).name).to.equal('CorruptRecordError')
    const unsealed = Buffer.from(stored(9, 1))
    unsealed[0] = 2
    expect(sealedRecord(9, unsealed)).to.equal(undefined)
  })

  it('should frame values back to back and give them back exactly, refusing bytes that do not frame', () => {
    const list = [stored(1, 1), stored(2, 1, 'x'.repeat(1_000)), stored(3, 2)]
    const framed = frameStored(list)
    expect(unframeStored(framed)?.map((v) => Buffer.from(v).toString('hex'))).to.deep.equal(list.map((v) => Buffer.from(v).toString('hex')))
    expect(unframeStored(framed.subarray(0, framed.byteLength - 1))).to.equal(undefined)
    expect(unframeStored(framed.subarray(0, 3))).to.equal(undefined)
    expect(unframeStored(Buffer.alloc(0))).to.deep.equal([])
    expect(sealedRecords(4, framed)?.map((r) => [r.seq, r.epoch])).to.deep.equal([[5, 1], [6, 1], [7, 2]])
    expect(sealedRecords(0, Buffer.alloc(0))).to.equal(undefined)
    expect(sealedRecords(0, frameStored([Buffer.from('not a record, not sealed at all: forty bytes long')]))).to.equal(undefined)
  })
})
