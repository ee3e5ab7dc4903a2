import { expect } from 'chai'
import { LevelStore, RosterHistory, applyChange, firstVersion } from '../../../../node/index.ts'
import type { RosterVersion } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

const next = (v: RosterVersion, peerId: string): RosterVersion => {
  const made = applyChange(v, { kind: 'join', peerId, capacity: 1 })
  if ('refused' in made) throw new Error(made.refused)
  return made
}

// A node's applied roster versions, in its data dir (a real LevelDB in a temp dir).
describe('RosterHistory', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
  })
  afterEach(async () => {
    await store.close()
    await dir.remove()
  })
  const v1 = firstVersion([{ peerId: 'a', capacity: 1 }])
  const v2 = next(v1, 'b')
  const v3 = next(v2, 'c')

  it('should apply versions in order, each on disk before it is told, and keep the last two across a restart', async () => {
    const history = await RosterHistory.open(store)
    expect(history.latest).to.equal(undefined)
    const told: Array<[number, number | undefined]> = []
    history.onApplied((v) => { told.push([v.version, history.latest?.version]) })
    expect(await history.apply(v1)).to.equal('applied')
    expect(await history.apply(v2)).to.equal('applied')
    expect(await history.apply(v3)).to.equal('applied')
    expect(told).to.deep.equal([[1, 1], [2, 2], [3, 3]])
    expect(history.applied.map((v) => v.version)).to.deep.equal([2, 3])
    await store.close()
    store = await LevelStore.open(dir.path)
    const again = await RosterHistory.open(store)
    expect(again.applied.map((v) => v.version)).to.deep.equal([2, 3])
    expect(again.latest?.members.map((m) => m.peerId)).to.deep.equal(['a', 'b', 'c'])
  })

  it('should take a version told again as known, and refuse another of the same number, a gap, or one its change does not make, changing nothing', async () => {
    const history = await RosterHistory.open(store)
    await history.apply(v1)
    await history.apply(v2)
    expect(await history.apply(v2)).to.equal('known')
    expect(await history.apply(v1)).to.equal('known')
    const other = next(v1, 'x')
    expect(await history.apply(other).then(() => 'applied', (err: Error) => err.name)).to.equal('RangeError')
    expect(await history.apply(next(v3, 'd')).then(() => 'applied', (err: Error) => err.message)).to.match(/the versions between are read first/)
    const forged = { ...v3, members: [...v3.members, { peerId: 'z', capacity: 1 }] }
    expect(await history.apply(forged).then(() => 'applied', (err: Error) => err.name)).to.equal('RangeError')
    expect(history.latest?.version).to.equal(2)
    expect(await history.apply(v3)).to.equal('applied')
  })

  it('should adopt, applying none yet, the latest versions a member applied, and apply them in order otherwise', async () => {
    const fresh = await RosterHistory.open(store)
    await fresh.adopt([v2, v3])
    expect(fresh.applied.map((v) => v.version)).to.deep.equal([2, 3])
    expect(await fresh.apply(next(v3, 'd'))).to.equal('applied')
    // one that is not what its change makes of the one before it is refused whole
    const other = await RosterHistory.open(store)
    await store.write([{ type: 'del', key: 'm\x00roster-versions' }])
    const bare = await RosterHistory.open(store)
    expect(await bare.adopt([v2, { ...v3, members: v2.members }]).then(() => 'adopted', (err: Error) => err.name)).to.equal('RangeError')
    expect(bare.latest).to.equal(undefined)
    expect(other.latest?.version).to.equal(4)
  })

  it('should start from no version, saying so, when what the data dir keeps does not read', async () => {
    await store.write([{ type: 'put', key: 'm\x00roster-versions', value: new TextEncoder().encode('[{"version": "two"}]') }])
    const warnings: string[] = []
    const history = await RosterHistory.open(store, { warn: (_obj, msg) => { warnings.push(msg) } })
    expect(history.latest).to.equal(undefined)
    expect(warnings.join()).to.match(/do not read/)
    expect(await history.apply(v1)).to.equal('applied')
  })
})
