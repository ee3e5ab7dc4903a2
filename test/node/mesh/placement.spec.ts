import { expect } from 'chai'
import fc from 'fast-check'
import { Placement, pinIdOf, rendezvousOwner } from '../../../node/mesh/placement.ts'
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

  it('should name a draining member as a previous owner of its entities, however many views ago it left', () => {
    const p = new Placement('p1')
    const three = [member('p1'), member('p2'), member('p3')]
    p.update(three)
    const ofP3 = ids(300).filter((id) => rendezvousOwner(id, three) === 'p3').map((id) => id.slice('room/'.length))
    // p3 drains; then the view changes over and over (members come and go) while it still holds them
    p.update(three.slice(0, 2), [member('p3')])
    for (let i = 0; i < 10; i++) p.update([...three.slice(0, 2), member(`extra-${i}`, ['ai'])], [member('p3')])
    for (const key of ofP3) expect(p.previousOwners('room', 'chat', key), key).to.include('p3')
    // once it is gone (no longer draining), it is no one's previous owner
    p.update(three.slice(0, 2))
    for (const key of ofP3) expect(p.previousOwners('room', 'chat', key), key).to.not.include('p3')
  })

  it('should keep owners learnt from peers until the view changes, and only then forget them', () => {
    const p = new Placement('p1')
    p.update([member('p1'), member('p2')])
    const owner = p.ownerOf('room', 'chat', 'lobby')
    const other = owner === 'p1' ? 'p2' : 'p1'
    p.learnOwner('room', 'chat', 'lobby', other)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(other)
    // the same members again: no change, the hint stays
    expect(p.update([member('p2'), member('p1')])).to.equal(false)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(other)
    expect(p.update([member('p1'), member('p2', ['chat', 'ai'])])).to.equal(true)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(owner)
  })

  it('should give a pinned entity to the member whose pin has the highest number, the same on every node, and to its hash owner again once unpinned', () => {
    const three = [member('p1'), member('p2'), member('p3')]
    const p = new Placement('p1')
    p.update(three)
    const hash = p.ownerOf('room', 'chat', 'lobby') as string
    const others = ['p1', 'p2', 'p3'].filter((x) => x !== hash) as [string, string]
    const pinned = (pins: Record<string, number>): Candidate[] => three.map((c) => pins[c.peerId] === undefined ? c : { ...c, pins: new Map([[pinIdOf('room', 'lobby'), pins[c.peerId] as number]]) })
    // one pin: its holder owns it; the same view in another order gives the same owner
    expect(p.update(pinned({ [others[0]]: 1 }))).to.equal(true)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(others[0])
    expect(p.pinOf('room', 'chat', 'lobby')).to.deep.equal({ peerId: others[0], n: 1 })
    expect(p.ownerOf('room', 'chat', 'other'), 'other entities stay where hashing puts them').to.equal(rendezvousOwner('room/other', three))
    expect(p.previousOwners('room', 'chat', 'lobby'), 'its owner before the pin may still hold it').to.deep.equal([hash])
    // a newer pin on another member wins; equal numbers: the lower peer id
    p.update(pinned({ [others[0]]: 1, [others[1]]: 2 }))
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(others[1])
    p.update(pinned({ [others[0]]: 2, [others[1]]: 2 }))
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(others[0] < others[1] ? others[0] : others[1])
    // a pin on a member without the role means nothing
    p.update([member('p1', ['ai'], 1), ...pinned({ [others[0]]: 5 }).filter((c) => c.peerId !== 'p1')].map((c) => c.peerId === 'p1' ? { ...c, pins: new Map([[pinIdOf('room', 'lobby'), 9]]) } : c))
    expect(p.ownerOf('room', 'chat', 'lobby')).to.not.equal('p1')
    p.update(three)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(hash)
  })

  it('should not learn an owner that is not a candidate for the role in its view (a draining member handing an entity off)', () => {
    const p = new Placement('p1')
    p.update([member('p1'), member('p2'), member('p3', ['ai'])])
    const owner = p.ownerOf('room', 'chat', 'lobby')
    // p4 drains (it is no candidate here) and p3 holds no chat role: neither hint is kept
    p.learnOwner('room', 'chat', 'lobby', 'p4')
    p.learnOwner('room', 'chat', 'lobby', 'p3')
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(owner)
    const other = owner === 'p1' ? 'p2' : 'p1'
    p.learnOwner('room', 'chat', 'lobby', other)
    expect(p.ownerOf('room', 'chat', 'lobby')).to.equal(other)
  })
})
