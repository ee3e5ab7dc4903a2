import { expect } from 'chai'
import { FormerHolders, LevelStore, StorageRoster, replicasOf } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

const PARTITIONS = 32
const placement = { partitions: PARTITIONS, replicationFactor: 3 }
const storage = (peerId: string, roles = ['storage']): { peerId: string, roles: string[], capacity: number } => ({ peerId, roles, capacity: 1 })
const setsOf = (nodes: readonly string[]): string[][] =>
  Array.from({ length: PARTITIONS }, (_, p) => replicasOf(p, nodes.map((n) => storage(n)).sort((a, b) => (a.peerId < b.peerId ? -1 : 1)), Math.min(3, nodes.length)))

describe('FormerHolders', () => {
  it('should record the replicas a roster change displaced, per partition, and keep them across restarts', async () => {
    const dir = await tempDir()
    let store = await LevelStore.open(dir.path)
    try {
      const roster = await StorageRoster.open(store, storage('a'), undefined, placement)
      // a new data dir: every partition known, no former holders
      expect(roster.formerHolders(0)).to.deep.equal([])
      roster.update(['b', 'c'].map((n) => storage(n)))
      for (let p = 0; p < PARTITIONS; p++) expect(roster.formerHolders(p), `partition ${p} at three nodes`).to.deep.equal([])
      const before = setsOf(['a', 'b', 'c'])
      roster.update([storage('d')])
      const after = setsOf(['a', 'b', 'c', 'd'])
      let moved = 0
      for (let p = 0; p < PARTITIONS; p++) {
        const displaced = (before[p] ?? []).filter((n) => !(after[p] ?? []).includes(n))
        expect(roster.formerHolders(p), `partition ${p}`).to.deep.equal(displaced)
        if (displaced.length > 0) moved++
      }
      expect(moved, 'partitions whose set changed').to.be.greaterThan(0)
      await store.close()
      store = await LevelStore.open(dir.path)
      const again = await StorageRoster.open(store, storage('a'), undefined, placement)
      for (let p = 0; p < PARTITIONS; p++) expect(again.formerHolders(p)).to.deep.equal((before[p] ?? []).filter((n) => !(after[p] ?? []).includes(n)))
    } finally {
      await store.close()
      await dir.remove()
    }
  })

  it('should make a replica that leaves a former holder until it handed off, and let go of the others once the replicas are found whole', async () => {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    try {
      const roster = await StorageRoster.open(store, storage('a'), undefined, placement)
      roster.update(['b', 'c', 'd', 'e'].map((n) => storage(n)))
      const sets = setsOf(['a', 'b', 'c', 'd', 'e'])
      const held = sets.findIndex((s) => s.includes('c'))
      // displaced at the joins, some partitions have former holders: the replicas were found whole
      for (let p = 0; p < PARTITIONS; p++) roster.settled(p, roster.formerHolders(p) ?? [])
      expect(roster.formerHolders(held)).to.deep.equal([])
      // an admin takes the storage role from c: it leaves every set it was in, and is a former holder
      roster.update([storage('c', ['chat'])])
      expect(roster.formerHolders(held)).to.deep.equal(['c'])
      // the replicas found whole do not release a leaving node: it may still take an older view's write
      expect(roster.settled(held, ['c'])).to.equal(false)
      expect(roster.formerHolders(held)).to.deep.equal(['c'])
      // handed off and forgotten: no longer a former holder of anything
      expect(roster.forget('c')).to.equal(true)
      for (let p = 0; p < PARTITIONS; p++) expect(roster.formerHolders(p)).to.not.include('c')
      // a displaced node (not leaving) is let go of once an activation found every replica whole
      roster.update([storage('f')])
      const displaced = Array.from({ length: PARTITIONS }, (_, p) => p).find((p) => (roster.formerHolders(p) ?? []).length > 0) as number
      expect(displaced).to.not.equal(undefined)
      const formers = roster.formerHolders(displaced) ?? []
      expect(roster.settled(displaced, formers)).to.equal(true)
      expect(roster.formerHolders(displaced)).to.deep.equal([])
    } finally {
      await store.close()
      await dir.remove()
    }
  })

  it('should know no former holders of a data dir an older version kept (a roster, or replica records), for good', async () => {
    const dir = await tempDir()
    let store = await LevelStore.open(dir.path)
    try {
      // an older version: the roster kept, no record of former holders
      const old = await StorageRoster.open(store, storage('a'))
      old.update(['b', 'c', 'd'].map((n) => storage(n)))
      expect(old.formerHolders(0), 'no placement given: none known').to.equal(undefined)
      await store.close()
      store = await LevelStore.open(dir.path)
      const upgraded = await StorageRoster.open(store, storage('a'), undefined, placement)
      for (let p = 0; p < PARTITIONS; p++) expect(upgraded.formerHolders(p), `partition ${p}`).to.equal(undefined)
      // neither a join nor replicas found whole make an unknown partition known (an older version
      // may have counted a replica whole without pulling, and left journals on other nodes)
      upgraded.update([storage('e')])
      expect(upgraded.formerHolders(3)).to.equal(undefined)
      expect(upgraded.settled(3, [])).to.equal(false)
      expect(upgraded.formerHolders(3)).to.equal(undefined)
      await store.close()
      store = await LevelStore.open(dir.path)
      const restarted = await StorageRoster.open(store, storage('a'), undefined, placement)
      expect(restarted.formerHolders(3), 'still unknown after a restart').to.equal(undefined)
    } finally {
      await store.close()
      await dir.remove()
    }
  })

  it('should take a data dir that holds replica records but no roster for an older version\'s, and keep a new one\'s record known across a restart', async () => {
    const dir = await tempDir()
    let store = await LevelStore.open(dir.path)
    try {
      const older = await StorageRoster.open(store, storage('a'), undefined, { ...placement, holdsRecords: true })
      expect(older.formerHolders(0)).to.equal(undefined)
      await store.close()
      await dir.remove()
      const fresh = await tempDir()
      store = await LevelStore.open(fresh.path)
      // a new data dir with three storage nodes: nothing ever displaced, the record kept all the same
      const roster = await StorageRoster.open(store, storage('a'), undefined, placement)
      roster.update(['b', 'c'].map((n) => storage(n)))
      await store.close()
      store = await LevelStore.open(fresh.path)
      const again = await StorageRoster.open(store, storage('a'), undefined, { ...placement, holdsRecords: true })
      expect(again.formerHolders(0)).to.deep.equal([])
      await store.close()
      await fresh.remove()
    } finally {
      await store.close().catch(() => {})
    }
  })

  it('should refuse a damaged or foreign record with a clear error, and read it as unknown', async () => {
    const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
    expect(() => FormerHolders.parse(new TextEncoder().encode('{nope'), 8)).to.throw(RangeError, /not JSON/)
    expect(() => FormerHolders.parse(bytes({ v: 2, partitions: 8, known: {} }), 8)).to.throw(RangeError, /version 1/)
    expect(() => FormerHolders.parse(bytes({ v: 1, partitions: 16, known: {} }), 8)).to.throw(RangeError, /16 partitions, expected 8/)
    expect(() => FormerHolders.parse(bytes({ v: 1, partitions: 8, known: { 9: [] } }), 8)).to.throw(RangeError, /partition 9, expected 0 to 7/)
    expect(() => FormerHolders.parse(bytes({ v: 1, partitions: 8, known: { 1: [3] } }), 8)).to.throw(RangeError, /not a list of peer ids/)
    expect(FormerHolders.parse(bytes({ v: 1, partitions: 8, known: { 1: ['b'] } }), 8).of(1)).to.deep.equal(['b'])
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    try {
      await store.write([{ type: 'put', key: 'm\x00roster', value: bytes([{ peerId: 'a', capacity: 1 }]) }, { type: 'put', key: 'm\x00former-holders', value: bytes({ v: 1, partitions: 99, known: {} }) }])
      const warned: string[] = []
      const roster = await StorageRoster.open(store, storage('a'), { warn: (_obj, msg) => { warned.push(msg) } }, placement)
      expect(roster.formerHolders(0)).to.equal(undefined)
      expect(warned.join('\n')).to.match(/99 partitions, expected 32.*fence every storage node/)
    } finally {
      await store.close()
      await dir.remove()
    }
  })
})
