import { expect } from 'chai'
import { Placement, pinIdOf } from '../../../node/mesh/placement.ts'
import type { OwnerView } from '../../../node/migration/index.ts'

describe('OwnerView', () => {
  it('should be what the mesh\'s placement answers: owners now and before, who holds a role, and the winning pin', () => {
    const placement = new Placement('n1')
    const view: OwnerView = placement
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }, { peerId: 'n2', roles: ['chat'], capacity: 1 }])
    const key = Array.from({ length: 64 }, (_, i) => `k${i}`).find((k) => view.ownerOf('room', 'chat', k) === 'n2') as string
    expect(view.holds('n2', 'chat')).to.equal(true)
    expect(view.holds('n2', 'ai')).to.equal(false)
    expect(view.ownerOf('agent', 'ai', 'alice')).to.be.instanceOf(Error)
    // n2 leaves: n1 owns the key now, and n2 is a previous owner to ask first
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }], [{ peerId: 'n2', roles: ['chat'], capacity: 1 }])
    expect(view.ownerOf('room', 'chat', key)).to.equal('n1')
    expect(view.previousOwners('room', 'chat', key)).to.include('n2')
    // a pin of it on n1 wins with its number
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1, pins: new Map([[pinIdOf('room', key), 4]]) }])
    expect(view.pinOf('room', 'chat', key)).to.deep.equal({ peerId: 'n1', n: 4 })
    expect(view.pinOf('room', 'chat', 'other')).to.equal(undefined)
  })
})
