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
    expect(configs.at).to.deep.equal({ version: 2, configs: [1, 2, 1, 2] })
    await configs.flushed()
    await store.close()
    store = await LevelStore.open(dir.path)
    configs = await PartitionConfigs.open(store, 4)
    expect(configs.at).to.deep.equal({ version: 2, configs: [1, 2, 1, 2] })
    // a restart follows the two versions it kept, the older first: at 2 already, 1 changes nothing
    configs.followed(1, undefined, [], [])
    expect(configs.version).to.equal(2)
    // version 3 applied, then a stop before these were written: followed again after 2, worked out
    configs.followed(2, undefined, [], [])
    configs.followed(3, 2, [['a'], ['b'], ['a'], ['b']], [['a'], ['b'], ['c'], ['b']])
    expect(configs.at).to.deep.equal({ version: 3, configs: [1, 2, 3, 2] })
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

  it('should check what another node sends', () => {
    expect(checkConfigsAt({ version: 3, configs: [1, 3] }, 2)).to.deep.equal({ version: 3, configs: [1, 3] })
    for (const bad of [null, 'x', { version: 0, configs: [] }, { version: 2, configs: [1, 3] }, { version: 2, configs: [1, 0] }, { version: 2, configs: [1, 1.5] }, { version: 2, configs: [1] }, { version: 2 }]) {
      expect(() => checkConfigsAt(bad, 2), JSON.stringify(bad)).to.throw(RangeError)
    }
  })
})
