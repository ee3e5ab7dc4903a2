import { expect } from 'chai'
import { describeKey, entityOfRecordKey, partitionOfKey, quarantineKey, recordEnd, recordKey, seqOf, snapshotKey, stateKey } from '../../../../node/replication/replica/replica-keys.ts'

describe('replica keys', () => {
  it('should lay a partition\'s records out as one sorted range, each entity\'s in seq order', () => {
    expect(recordKey(10, 'room/a', 26)).to.equal('r\x00000a\x00room/a\x00000000000000001a')
    expect(stateKey(10, 'room/a')).to.equal('e\x00000a\x00room/a')
    expect(snapshotKey(10, 'room/a')).to.equal('p\x00000a\x00room/a')
    expect(quarantineKey(recordKey(1, 'room/a', 1))).to.equal('q\x00r\x000001\x00room/a\x000000000000000001')
    const keys = [recordKey(3, 'room/b', 1), recordKey(3, 'room/a', 16), recordKey(3, 'room/a', 2), recordKey(2, 'room/z', 9)].sort()
    expect(keys).to.deep.equal([recordKey(2, 'room/z', 9), recordKey(3, 'room/a', 2), recordKey(3, 'room/a', 16), recordKey(3, 'room/b', 1)])
    // the end of an entity's range is past every seq it may hold, and before the next entity's
    expect(recordKey(3, 'room/a', Number.MAX_SAFE_INTEGER) < recordEnd(3, 'room/a')).to.equal(true)
    expect(recordEnd(3, 'room/a') < recordKey(3, 'room/a/', 1)).to.equal(true)
  })

  it('should read a key back: its seq, entity and partition, and what kind of value it holds', () => {
    const key = recordKey(300, 'agent/x/y', 4_096)
    expect(seqOf(key)).to.equal(4_096)
    expect(entityOfRecordKey(key)).to.equal('agent/x/y')
    expect(partitionOfKey(key)).to.equal(300)
    expect(describeKey(key)).to.deep.equal({ kind: 'record', partition: 300, entity: 'agent/x/y', seq: 4_096 })
    expect(describeKey(stateKey(7, 'room/a'))).to.deep.equal({ kind: 'state', partition: 7, entity: 'room/a' })
    expect(describeKey(snapshotKey(7, 'room/a'))).to.deep.equal({ kind: 'snapshot', partition: 7, entity: 'room/a' })
    expect(describeKey('m\x00partitions')).to.deep.equal({ kind: 'other' })
    expect(describeKey('zz')).to.deep.equal({ kind: 'other' })
  })
})
