import { expect } from 'chai'
import { LevelStore, PartitionConfigs, StorageRoster, checkConfigsAt } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

type Member = { peerId: string, capacity: number, state?: 'leaving' | 'replaced' }

/** Roster versions 1 to 5 of a growing and changing cluster (R = 2 over 64 partitions). */
const VERSIONS: Array<{ version: number, members: Member[] }> = [
  { version: 1, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }] },
  { version: 2, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }, { peerId: 'c', capacity: 1 }] },
  { version: 3, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }, { peerId: 'c', capacity: 1 }, { peerId: 'd', capacity: 1 }] },
  { version: 4, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }, { peerId: 'c', capacity: 1, state: 'leaving' }, { peerId: 'd', capacity: 1 }] },
  { version: 5, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }, { peerId: 'c', capacity: 1, state: 'leaving' }, { peerId: 'd', capacity: 1 }, { peerId: 'e', capacity: 1 }] }
]
const PARTITIONS = 64

describe('PartitionConfigs (each partition\'s configuration version, as roster versions are followed)', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
  const open = async (): Promise<{ roster: StorageRoster, store: LevelStore, path: string }> => {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    cleanups.push(async () => { await store.close(); await dir.remove() })
    const roster = await StorageRoster.open(store, { peerId: 'a', roles: ['storage'], capacity: 1 }, undefined, { partitions: PARTITIONS, replicationFactor: 2 })
    return { roster, store, path: dir.path }
  }
  const configsOf = (roster: StorageRoster): Array<number | undefined> => Array.from({ length: PARTITIONS }, (_, p) => roster.configs?.of(p))

  it('should start every partition at 1 and move only the partitions whose replica set a version changes to it', async () => {
    const { roster } = await open()
    roster.follow(VERSIONS[0] as typeof VERSIONS[0])
    expect(configsOf(roster).every((c) => c === 1)).to.equal(true)
    let before = configsOf(roster)
    for (const v of VERSIONS.slice(1)) {
      roster.follow(v)
      const after = configsOf(roster)
      const moved = after.filter((c, p) => c !== before[p])
      expect(roster.configs?.version).to.equal(v.version)
      // moved partitions are at the new version, the rest as they were; a join moves some, not all
      expect(moved.every((c) => c === v.version), `version ${v.version}`).to.equal(true)
      expect(moved.length, `partitions version ${v.version} moved`).to.be.greaterThan(0).and.lessThan(PARTITIONS)
      before = after
    }
    // a version that changes no replica set (the same roster again under a new number) moves none
    roster.follow({ version: 6, members: VERSIONS[4]?.members as Member[] })
    expect(roster.configs?.version).to.equal(6)
    expect(configsOf(roster)).to.deep.equal(before)
  })

  it('should leave them unknown on a node that skipped versions, until it takes a member\'s at its own version; and agree with that member', async () => {
    const full = await open()
    for (const v of VERSIONS) full.roster.follow(v)
    const joined = await open()
    // a joining node takes the latest versions a member applied: it skipped 1 and 2
    joined.roster.follow(VERSIONS[2] as typeof VERSIONS[2])
    joined.roster.follow(VERSIONS[3] as typeof VERSIONS[3])
    expect(joined.roster.configs?.version).to.equal(undefined)
    expect(configsOf(joined.roster).every((c) => c === undefined)).to.equal(true)
    // a member's at another version, or one that does not read, is not taken
    expect(joined.roster.configs?.adopt(full.roster.configs?.at, 4)).to.equal(false)
    expect(() => joined.roster.configs?.adopt({ version: 4, configs: [1, 2] }, 4)).to.throw(RangeError, /each of 64 partitions/)
    expect(joined.roster.configs?.version).to.equal(undefined)
    joined.roster.follow(VERSIONS[4] as typeof VERSIONS[4])
    expect(joined.roster.configs?.adopt(full.roster.configs?.at, 5)).to.equal(true)
    expect(configsOf(joined.roster)).to.deep.equal(configsOf(full.roster))
    // taken once: the next version is worked out here, the same as on the member
    const next = { version: 6, members: [...VERSIONS[4]?.members as Member[], { peerId: 'f', capacity: 2 }] }
    full.roster.follow(next)
    joined.roster.follow(next)
    expect(configsOf(joined.roster)).to.deep.equal(configsOf(full.roster))
  })

  it('should keep them in the data dir, and work out the last version from the one before after a stop between the two writes', async () => {
    const dir = await tempDir()
    cleanups.push(async () => { await dir.remove() })
    let store = await LevelStore.open(dir.path)
    let configs = await PartitionConfigs.open(store, 4)
    configs.followed(1, undefined, [], [])
    configs.followed(2, 1, [['a'], ['a'], ['a'], ['a']], [['a'], ['b'], ['a'], ['b']])
    const at2 = { version: 2, configs: [1, 2, 1, 2], earlier: [[], [{ version: 1, nodes: ['a'] }], [], [{ version: 1, nodes: ['a'] }]] }
    expect(configs.at).to.deep.equal(at2)
    await configs.flushed()
    await store.close()
    store = await LevelStore.open(dir.path)
    configs = await PartitionConfigs.open(store, 4)
    expect(configs.at).to.deep.equal(at2)
    // a restart follows the two versions it kept, the older first: at 2 already, 1 changes nothing
    configs.followed(1, undefined, [], [])
    expect(configs.version).to.equal(2)
    // version 3 applied, then a stop before these were written: followed again after 2, worked out
    configs.followed(2, undefined, [], [])
    configs.followed(3, 2, [['a'], ['b'], ['a'], ['b']], [['a'], ['b'], ['c'], ['b']])
    expect(configs.at?.configs).to.deep.equal([1, 2, 3, 2])
    expect(configs.earlierOf(2)).to.deep.equal([{ version: 1, nodes: ['a'] }])
    // kept for another partition count: unknown, said in the log
    await configs.flushed()
    await store.close()
    store = await LevelStore.open(dir.path)
    const said: string[] = []
    const other = await PartitionConfigs.open(store, 8, { warn: (_o, msg) => { said.push(msg) } })
    expect(other.version).to.equal(undefined)
    expect(said.join('\n')).to.match(/do not read \(configuration versions: expected one for each of 8 partitions\)/)
    await store.close()
  })

  it('should keep each partition\'s earlier sets until a version records it settled at its configuration version', async () => {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    cleanups.push(async () => { await store.close(); await dir.remove() })
    const configs = await PartitionConfigs.open(store, 3)
    // version 1 of three nodes, R = 2: every node of it is an earlier set of each partition whose
    // set is not all of them (what held them before versions were agreed)
    configs.followed(1, undefined, [], [['a', 'b'], ['b', 'c'], ['a', 'b']], { members: ['a', 'b', 'c'] })
    expect([0, 1, 2].map((p) => configs.earlierOf(p))).to.deep.equal([[{ version: 0, nodes: ['a', 'b', 'c'] }], [{ version: 0, nodes: ['a', 'b', 'c'] }], [{ version: 0, nodes: ['a', 'b', 'c'] }]])
    // version 2 settles partitions 0 and 1 at 1; a version 1 of every node's set has none
    configs.followed(2, 1, [['a', 'b'], ['b', 'c'], ['a', 'b']], [['a', 'b'], ['b', 'c'], ['a', 'b']], { settled: [[0, 1], [1, 1]] })
    expect([0, 1, 2].map((p) => configs.earlierOf(p))).to.deep.equal([[], [], [{ version: 0, nodes: ['a', 'b', 'c'] }]])
    // version 3 moves partitions 0 and 2 (d joined): each keeps the set it had as an earlier one
    configs.followed(3, 2, [['a', 'b'], ['b', 'c'], ['a', 'b']], [['a', 'd'], ['b', 'c'], ['d', 'b']], { members: ['a', 'b', 'c', 'd'] })
    expect(configs.at?.configs).to.deep.equal([3, 1, 3])
    expect(configs.earlierOf(0)).to.deep.equal([{ version: 1, nodes: ['a', 'b'] }])
    expect(configs.earlierOf(2)).to.deep.equal([{ version: 0, nodes: ['a', 'b', 'c'] }, { version: 1, nodes: ['a', 'b'] }])
    // version 4 moves partition 0 again; version 5 settles partition 0 at 3 (the sets before 3 go,
    // 3's own stays: partition 0 moved past it since) and partition 2 at 3 (both go)
    configs.followed(4, 3, [['a', 'd'], ['b', 'c'], ['d', 'b']], [['c', 'd'], ['b', 'c'], ['d', 'b']])
    configs.followed(5, 4, [['c', 'd'], ['b', 'c'], ['d', 'b']], [['c', 'd'], ['b', 'c'], ['d', 'b']], { settled: [[0, 3], [2, 3]] })
    expect(configs.earlierOf(0)).to.deep.equal([{ version: 3, nodes: ['a', 'd'] }])
    expect(configs.earlierOf(2)).to.deep.equal([])
    // what a member answers reads back the same
    expect(checkConfigsAt(JSON.parse(JSON.stringify(configs.at)), 3)).to.deep.equal(configs.at)
  })

  it('should check what another node sends', () => {
    expect(checkConfigsAt({ version: 3, configs: [1, 3] }, 2)).to.deep.equal({ version: 3, configs: [1, 3] })
    expect(checkConfigsAt({ version: 3, configs: [1, 3], earlier: [[], [{ version: 0, nodes: ['a'] }, { version: 1, nodes: ['a', 'b'] }]] }, 2).earlier?.[1]).to.have.length(2)
    for (const bad of [null, 'x', { version: 0, configs: [] }, { version: 2, configs: [1, 3] }, { version: 2, configs: [1, 0] }, { version: 2, configs: [1, 1.5] }, { version: 2, configs: [1] }, { version: 2 },
      { version: 3, configs: [1, 3], earlier: [[]] }, { version: 3, configs: [1, 3], earlier: [[], [{ version: 3, nodes: ['a'] }]] }, { version: 3, configs: [1, 3], earlier: [[], [{ version: 1, nodes: [] }]] },
      { version: 3, configs: [1, 3], earlier: [[], [{ version: 1, nodes: ['a'] }, { version: 1, nodes: ['a'] }]] }, { version: 3, configs: [1, 3], earlier: [[], [{ version: 1, nodes: [7] }]] }, { version: 3, configs: [1, 3], earlier: 'x' }]) {
      expect(() => checkConfigsAt(bad, 2), JSON.stringify(bad)).to.throw(RangeError)
    }
  })
})
