import { expect } from 'chai'
import { LevelStore, StorageRoster } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('StorageRoster', () => {
  it('should keep every storage member ever heard, in the data dir, down or not, and only storage members', async () => {
    const dir = await tempDir()
    let store = await LevelStore.open(dir.path)
    try {
      const roster = await StorageRoster.open(store, { peerId: 'self', roles: ['chat', 'storage'], capacity: 2 })
      roster.update([{ peerId: 'b', roles: ['storage'], capacity: 1 }, { peerId: 'chatty', roles: ['chat'], capacity: 1 }])
      expect(roster.candidates().map((c) => c.peerId)).to.deep.equal(['b', 'self'])
      // b goes quiet: members heard no more are not dropped (a down replica stays a replica)
      roster.update([])
      expect(roster.candidates().map((c) => c.peerId)).to.deep.equal(['b', 'self'])
      await store.close()
      store = await LevelStore.open(dir.path)
      // after a restart the roster is known before anyone is heard; a node without storage is not in it
      const again = await StorageRoster.open(store, { peerId: 'self', roles: ['chat'], capacity: 2 })
      expect(again.candidates()).to.deep.equal([{ peerId: 'b', roles: ['storage'], capacity: 1 }, { peerId: 'self', roles: ['storage'], capacity: 2 }])
    } finally {
      await store.close()
      await dir.remove()
    }
  })
})
