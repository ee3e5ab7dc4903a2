import { expect } from 'chai'
import { LevelStore, StorageRoster } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

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
      // after a restart the roster is known before anyone is heard; a member that never held
      // storage is not in it
      const again = await StorageRoster.open(store, { peerId: 'self', roles: ['chat', 'storage'], capacity: 2 })
      expect(again.candidates()).to.deep.equal([{ peerId: 'b', roles: ['storage'], capacity: 1 }, { peerId: 'self', roles: ['storage'], capacity: 2 }])
    } finally {
      await store.close()
      await dir.remove()
    }
  })

  it('should keep a storage node heard without the role as leaving: out of placement, still known, back when it has the role again, across restarts', async () => {
    const dir = await tempDir()
    let store = await LevelStore.open(dir.path)
    try {
      const roster = await StorageRoster.open(store, { peerId: 'self', roles: ['storage'], capacity: 1 })
      roster.update([{ peerId: 'b', roles: ['storage'], capacity: 1 }, { peerId: 'c', roles: ['chat', 'storage'], capacity: 1 }])
      // an admin takes the storage role from c
      expect(roster.update([{ peerId: 'c', roles: ['chat'], capacity: 1 }])).to.equal(true)
      expect(roster.candidates().map((c) => c.peerId)).to.deep.equal(['b', 'self'])
      expect(roster.known().map((c) => c.peerId)).to.deep.equal(['b', 'c', 'self'])
      expect(roster.isLeaving('c')).to.equal(true)
      // heard again the same way: nothing changes
      expect(roster.update([{ peerId: 'c', roles: ['chat'], capacity: 1 }])).to.equal(false)
      await store.close()
      store = await LevelStore.open(dir.path)
      // a restart remembers who is leaving; a node restarted without the role leaves too
      const again = await StorageRoster.open(store, { peerId: 'self', roles: ['chat'], capacity: 1 })
      expect(again.candidates().map((c) => c.peerId)).to.deep.equal(['b'])
      expect(again.isLeaving('c') && again.isLeaving('self')).to.equal(true)
      // c given the role back is a candidate again
      expect(again.update([{ peerId: 'c', roles: ['storage'], capacity: 1 }])).to.equal(true)
      expect(again.candidates().map((c) => c.peerId)).to.deep.equal(['b', 'c'])
    } finally {
      await store.close()
      await dir.remove()
    }
  })

  it('should keep a replaced storage node out of placement, across restarts, until it is heard again and not down', async () => {
    const dir = await tempDir()
    let store = await LevelStore.open(dir.path)
    try {
      const roster = await StorageRoster.open(store, { peerId: 'self', roles: ['storage'], capacity: 1 })
      roster.update([{ peerId: 'b', roles: ['storage'], capacity: 1 }, { peerId: 'c', roles: ['storage'], capacity: 1 }])
      expect(roster.replace('c')).to.equal(true)
      expect(roster.replace('c')).to.equal(false)
      expect(roster.replace('nobody')).to.equal(false)
      expect(roster.candidates().map((c) => c.peerId)).to.deep.equal(['b', 'self'])
      expect(roster.known().map((c) => c.peerId)).to.deep.equal(['b', 'c', 'self'])
      expect(roster.isReplaced('c')).to.equal(true)
      // heard while down (a stale record), or without a status: still replaced
      expect(roster.update([{ peerId: 'c', roles: ['storage'], capacity: 1, status: 'down' }, { peerId: 'c', roles: ['storage'], capacity: 1 }])).to.equal(false)
      expect(roster.isReplaced('c')).to.equal(true)
      await store.close()
      store = await LevelStore.open(dir.path)
      const again = await StorageRoster.open(store, { peerId: 'self', roles: ['storage'], capacity: 1 })
      expect(again.isReplaced('c')).to.equal(true)
      expect(again.candidates().map((c) => c.peerId)).to.deep.equal(['b', 'self'])
      // back: a candidate again
      expect(again.update([{ peerId: 'c', roles: ['storage'], capacity: 1, status: 'up' }])).to.equal(true)
      expect(again.isReplaced('c')).to.equal(false)
      expect(again.candidates().map((c) => c.peerId)).to.deep.equal(['b', 'c', 'self'])
    } finally {
      await store.close()
      await dir.remove()
    }
  })
})
