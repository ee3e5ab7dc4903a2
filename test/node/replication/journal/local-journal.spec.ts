import { expect } from 'chai'
import { LevelStore, openLocalJournal } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

describe('openLocalJournal', () => {
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

  it('should keep a node alone\'s journals on its own store, R = 1 and W = 1, with no one else to ask', async () => {
    const journal = await openLocalJournal(store, { self: 'solo', partitions: 8 })
    expect(journal.partitions).to.equal(8)
    expect(journal.placement(3)).to.deep.equal({ replicas: ['solo'], writeQuorum: 1 })
    const log = await journal.open('room/a')
    await log.append([{ seq: 1, event: 'x' }])
    log.close()
    expect(await journal.head('room/a')).to.equal(1)
    const err = await journal.call('elsewhere', { op: 'summary', entity: 'room/a' }).then(() => null, (e: unknown) => e)
    expect((err as Error).message).to.equal('a local journal has no other replicas')
    // and the store remembers its partitions: reopened with the default, it keeps 8
    expect((await openLocalJournal(store)).partitions).to.equal(8)
  })
})
