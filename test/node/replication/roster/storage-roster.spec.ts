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

  it('should follow roster versions once one is applied: placement, leaving and replaced as the version says, the roster as heard kept as its wish; former holders recorded on the version\'s moves and forgotten with it', async () => {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    try {
      const roster = await StorageRoster.open(store, { peerId: 'a', roles: ['storage'], capacity: 1 }, undefined, { partitions: 8, replicationFactor: 1 })
      roster.update([{ peerId: 'b', roles: ['storage'], capacity: 1 }])
      expect(roster.version).to.equal(undefined)
      expect(roster.candidates().map((c) => c.peerId), 'no version: the roster as heard').to.deep.equal(['a', 'b'])
      // version 1 names a and b: what placement reads does not change
      expect(roster.follow({ version: 1, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }] })).to.equal(false)
      expect(roster.version).to.equal(1)
      // c is heard: the wish grows, placement waits for a version that names it
      roster.update([{ peerId: 'c', roles: ['storage'], capacity: 2 }])
      expect(roster.candidates().map((c) => c.peerId)).to.deep.equal(['a', 'b'])
      expect(roster.wish().known().map((c) => c.peerId)).to.deep.equal(['a', 'b', 'c'])
      const before = Array.from({ length: 8 }, (_, p) => roster.formerHolders(p))
      expect(roster.follow({ version: 2, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }, { peerId: 'c', capacity: 2 }] })).to.equal(true)
      expect(roster.candidates().map((c) => c.peerId)).to.deep.equal(['a', 'b', 'c'])
      const after = Array.from({ length: 8 }, (_, p) => roster.formerHolders(p) ?? [])
      expect(after.some((f, p) => f.length > (before[p]?.length ?? 0)), 'a partition that moved to c has its former replica as a former holder').to.equal(true)
      // an older version, or the same again, changes nothing
      expect(roster.follow({ version: 1, members: [{ peerId: 'a', capacity: 1 }] })).to.equal(false)
      expect(roster.follow({ version: 2, members: [{ peerId: 'a', capacity: 1 }] })).to.equal(false)
      // b leaving and c replaced, as versions say: not as the wish says
      roster.update([{ peerId: 'b', roles: ['chat'], capacity: 1 }])
      expect(roster.isLeaving('b'), 'heard without the role: the wish says leaving, the version not yet').to.equal(false)
      expect(roster.wish().isLeaving('b')).to.equal(true)
      expect(roster.follow({ version: 3, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1, state: 'leaving' }, { peerId: 'c', capacity: 2, state: 'replaced' }] })).to.equal(true)
      expect([roster.isLeaving('b'), roster.isReplaced('c')]).to.deep.equal([true, true])
      expect(roster.candidates().map((c) => c.peerId)).to.deep.equal(['a'])
      // b forgotten by a version: no partition names it as a former holder any more
      expect(roster.follow({ version: 4, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'c', capacity: 2, state: 'replaced' }] })).to.equal(true)
      for (let p = 0; p < 8; p++) expect(roster.formerHolders(p) ?? [], `partition ${p}`).to.not.include('b')
      expect(roster.known().map((c) => c.peerId)).to.deep.equal(['a', 'c'])
    } finally {
      await store.close()
      await dir.remove()
    }
  })
})
