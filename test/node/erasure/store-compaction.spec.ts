import { expect } from 'chai'
import { CompactionQueue, checkStoreCompactionMsg, compactEverywhere } from '../../../node/erasure/index.ts'
import { ErasureRig } from '../../helpers/erasure-rig.ts'
import { deferred } from '../../helpers/wait-for.ts'

describe('storeCompaction', () => {
  let rig: ErasureRig
  beforeEach(async () => { rig = await new ErasureRig().open() })
  afterEach(async () => { await rig.close() })

  it('should compact each entity\'s record range and snapshot, and list a member it cannot reach', async () => {
    const failures: Array<{ item: string, why: string }> = []
    await compactEverywhere(rig.system, [rig.system.node, 'nowhere'], ['room/a', 'agent/bo'], failures)
    // (the snapshot's range runs from the partition's first snapshot key to the one just past the
    // entity's: bounds that hold no value, LevelStore.compactRange's deletions go there)
    expect(rig.compacted.map((range) => range.map((k) => k.replaceAll('\x00', '|')))).to.deep.equal([
      ['r|0000|room/a|0000000000000000', 'r|0000|room/a|ffffffffffffffff'], ['p|0000|', 'p|0000|room/a|'],
      ['r|0000|agent/bo|0000000000000000', 'r|0000|agent/bo|ffffffffffffffff'], ['p|0000|', 'p|0000|agent/bo|']])
    expect(failures.map((f) => f.item)).to.deep.equal(['compaction on nowhere'])
  })

  it('should answer only once this node\'s search index applied what landed (the old text leaves its files too)', async () => {
    const gate = deferred()
    const waiting = deferred()
    rig.indexSettled = async () => { waiting.resolve(); await gate.promise }
    let answered = false
    const done = compactEverywhere(rig.system, [rig.system.node], ['room/a'], []).then(() => { answered = true })
    await waiting.promise
    expect(rig.compacted.length, 'ranges compacted before the index is waited for').to.equal(2)
    expect(answered).to.equal(false)
    gate.resolve()
    await done
    expect(answered).to.equal(true)
  })

  it('should compact what is queued while a request runs in the next one, wait for the search index once at the end, and list a member it cannot reach', async () => {
    const gate = deferred()
    const first = deferred()
    let held = false
    rig.compacting = async () => { if (!held) { held = true; first.resolve(); await gate.promise } }
    let settles = 0
    rig.indexSettled = async () => { settles++ }
    const queue = new CompactionQueue(rig.system, () => [rig.system.node, 'nowhere'])
    queue.add('room/a')
    await first.promise
    // the first request is held: these wait, and go together as the next
    queue.add('room/b')
    queue.add('room/c')
    gate.resolve()
    await queue.done()
    expect(settles, 'the index waited for once, after every range').to.equal(1)
    expect(rig.compacted.filter(([gte]) => gte.startsWith('r')).map(([gte]) => gte.split('\x00')[2])).to.deep.equal(['room/a', 'room/b', 'room/c'])
    // two requests and the settling one, each to a member it cannot reach
    expect(queue.failures.map((f) => f.item)).to.deep.equal(['compaction on nowhere', 'compaction on nowhere', 'compaction on nowhere'])
    // nothing queued since: done at once, the index not asked again
    await queue.done()
    expect(settles).to.equal(1)
  })

  it('should refuse a malformed request from a peer', () => {
    const replyTo = { askId: 'a1', node: 'n1' }
    expect(() => { checkStoreCompactionMsg({ type: 'compact', entities: ['room/a'], replyTo }) }).not.to.throw()
    expect(() => { checkStoreCompactionMsg({ type: 'compact', entities: ['no-slash'], replyTo }) }).to.throw(/entities/)
    expect(() => { checkStoreCompactionMsg({ type: 'compact', entities: Array.from({ length: 1001 }, () => 'room/a'), replyTo }) }).to.throw(/at most 1000/)
    expect(() => { checkStoreCompactionMsg({ type: 'wipe', replyTo }) }).to.throw(/compact/)
    expect(() => { checkStoreCompactionMsg({ type: 'compact', entities: [] }) }).to.throw(/reply address/)
    expect(() => { checkStoreCompactionMsg({ type: 'compact', entities: [], settle: false, replyTo }) }).not.to.throw()
    expect(() => { checkStoreCompactionMsg({ type: 'compact', entities: ['room/a'], settle: 'no', replyTo }) }).to.throw(/settle/)
  })
})
