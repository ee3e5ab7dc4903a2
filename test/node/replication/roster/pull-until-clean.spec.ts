import { expect } from 'chai'
import { LevelStore, openLocalJournal } from '../../../../node/index.ts'
import type { ReplicatedJournal, TakeOverResult } from '../../../../node/index.ts'
import { pullUntilClean } from '../../../../node/replication/roster/pull-until-clean.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

const took = (over: Partial<TakeOverResult> = {}): TakeOverResult => ({ records: 0, repaired: 0, divergent: 0, peerNewer: [], movedOn: 0, ...over })

describe('pullUntilClean', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let journal: ReplicatedJournal
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    journal = await openLocalJournal(store, { partitions: 4 })
  })
  afterEach(async () => {
    await store.close()
    await dir.remove()
  })

  it('should pull until a pull takes nothing, and say why not when it fails or keeps taking', async () => {
    const answers = [took({ records: 5 }), took({ repaired: 1 }), took({ movedOn: 1 }), took({ floors: 1 }), took()]
    let pulls = 0
    expect(await pullUntilClean(journal, 2, 'pulling from b', async () => { pulls++; return answers.shift() as TakeOverResult }, 5)).to.equal(undefined)
    expect(pulls).to.equal(5)
    expect(await pullUntilClean(journal, 2, 'pulling from b', async () => took({ records: 1 }), 3)).to.equal('partition 2: pulling from b still takes records after 3 pulls (writes still arriving?)')
    expect(await pullUntilClean(journal, 2, 'pulling from b', async () => await Promise.reject(new Error('b is down')), 3)).to.equal('partition 2: pulling from b failed: b is down')
  })

  it('should recover an entity whose log there is the newer through a journal open, which writes it to the replicas', async () => {
    let pulls = 0
    const why = await pullUntilClean(journal, 1, 'pulling from b', async () => ++pulls === 1 ? took({ peerNewer: ['room/newer'] }) : took(), 3)
    expect(why).to.equal(undefined)
    // the open fenced it here: its replica promised an epoch to that activation
    expect((await journal.core(journal.storage.partitionOf('room/newer')).state('room/newer')).summary.promised).to.be.above(0)
  })
})
