import { expect } from 'chai'
import fc from 'fast-check'
import { Placement, rendezvousOwner } from '../../../node/mesh/placement.ts'
import type { Candidate } from '../../../node/mesh/placement.ts'

const member = (peerId: string, roles: string[] = ['chat'], capacity = 1): Candidate => ({ peerId, roles, capacity })
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `room/r${i}`)

describe('Placement', () => {
  it('should give every node the same owner from the same members, whatever their order', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 4, maxLength: 12 }), { minLength: 1, maxLength: 8 }), fc.string(), (peers, key) => {
      const members = peers.map((p) => member(p))
      const a = new Placement(peers[0] as string)
      const b = new Placement('someone-else')
      a.update(members)
      b.update([...members].reverse())
      expect(a.ownerOf('room', 'chat', key)).to.equal(b.ownerOf('room', 'chat', key))
    }))
  })

  it('should move only the entities of a member that leaves, and only to the one that joins', () => {
    const three = [member('p1'), member('p2'), member('p3')]
    const before = new Map(ids(2000).map((id) => [id, rendezvousOwner(id, three)]))
    const withoutP2 = new Map(ids(2000).map((id) => [id, rendezvousOwner(id, three.filter((m) => m.peerId !== 'p2'))]))
    for (const [id, owner] of before) if (owner !== 'p2') expect(withoutP2.get(id), id).to.equal(owner)
    const withP4 = new Map(ids(2000).map((id) => [id, rendezvousOwner(id, [...three, member('p4')])]))
    for (const [id, owner] of withP4) if (owner !== 'p4') expect(before.get(id), id).to.equal(owner)
    const moved = [...withP4.values()].filter((o) => o === 'p4').length
    // about a quarter of them, give or take the hash's spread
    expect(moved).to.be.within(400, 600)
  })

  it('should weigh members by capacity', () => {
    const owners = ids(6000).map((id) => rendezvousOwner(id, [member('small', ['chat'], 1), member('big', ['chat'], 3)]))
    const big = owners.filter((o) => o === 'big').length / owners.length
    expect(big).to.be.within(0.7, 0.8)
  })

  it('should place by role, refuse a role nobody holds with NoOwnerError, and say who holds what', () => {
    const p = new Placement('p1')
    expect(p.update([member('p1', ['chat']), member('p2', ['ai'])])).to.equal(true)
    expect(p.ownerOf('agent', 'ai', 'ann')).to.equal('p2')
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal('p1')
    const none = p.ownerOf('shard', 'storage', '1')
    expect(none).to.be.instanceOf(Error)
    expect((none as Error).name).to.equal('NoOwnerError')
    expect([p.holds('p2', 'ai'), p.holds('p2', 'chat')]).to.deep.equal([true, false])
    expect(p.view()).to.deep.equal({ chat: ['p1'], ai: ['p2'] })
  })

  it('should keep owners learnt from peers until the view changes, and only then forget them', () => {
    const p = new Placement('p1')
    p.update([member('p1'), member('p2')])
    const owner = p.ownerOf('room', 'chat', 'lobby')
    const other = owner === 'p1' ? 'p2' : 'p1'
    p.learnOwner('room', 'lobby', other)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(other)
    // the same members again: no change, the hint stays
    expect(p.update([member('p2'), member('p1')])).to.equal(false)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(other)
    expect(p.update([member('p1'), member('p2', ['chat', 'ai'])])).to.equal(true)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(owner)
  })
})
