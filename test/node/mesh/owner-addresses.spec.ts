import { expect } from 'chai'
import { OwnerAddresses } from '../../../node/mesh/owner-addresses.ts'
import { Placement } from '../../../node/mesh/placement.ts'
import type { MemberView } from '../../../node/mesh/membership.ts'

const view = (peerId: string, grpc: string, status: MemberView['status'] = 'up'): MemberView => ({
  peerId, roles: ['ai'], addresses: { grpc, admin: '127.0.0.1:1', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, capacity: 1, status, incarnation: 1, version: '0', lastSeen: 0
})

/** A key of `agent` that placement over p1..p3 gives to `owner`. */
function keyOf (placement: Placement, owner: string): string {
  for (let i = 0; i < 500; i++) if (placement.ownerOf('agent', 'ai', `u${i}`) === owner) return `u${i}`
  throw new Error(`no key for ${owner}`)
}

describe('OwnerAddresses', () => {
  const placement = new Placement('p1')
  placement.update(['p1', 'p2', 'p3'].map((peerId) => ({ peerId, roles: ['ai'], capacity: 1 })))
  const hosted = new Set<string>()
  let members: MemberView[] = []
  const owners = new OwnerAddresses({ placement, hosts: (type, key) => hosted.has(`${type}/${key}`), members: () => members })

  it('should give the gRPC address of another member that owns the entity when it is up', () => {
    members = [view('p2', '10.0.0.2:7400'), view('p3', '10.0.0.3:7400')]
    expect(owners.of('agent', 'ai', keyOf(placement, 'p2'))).to.equal('10.0.0.2:7400')
    expect(owners.of('agent', 'ai', keyOf(placement, 'p3'))).to.equal('10.0.0.3:7400')
  })

  it('should give nothing when this node owns the entity or hosts it now', () => {
    expect(owners.of('agent', 'ai', keyOf(placement, 'p1'))).to.equal(undefined)
    const moving = keyOf(placement, 'p2')
    hosted.add(`agent/${moving}`)
    expect(owners.of('agent', 'ai', moving)).to.equal(undefined)
    hosted.clear()
  })

  it('should give nothing for an owner that is not up, listens on a wildcard address or is unknown', () => {
    const fresh = (list: MemberView[]): OwnerAddresses => new OwnerAddresses({ placement, hosts: () => false, members: () => list })
    const key = keyOf(placement, 'p2')
    expect(fresh([view('p2', '10.0.0.2:7400', 'suspect')]).of('agent', 'ai', key)).to.equal(undefined)
    expect(fresh([view('p2', '10.0.0.2:7400', 'draining')]).of('agent', 'ai', key)).to.equal(undefined)
    expect(fresh([view('p2', '0.0.0.0:7400')]).of('agent', 'ai', key)).to.equal(undefined)
    expect(fresh([view('p2', '[::]:7400')]).of('agent', 'ai', key)).to.equal(undefined)
    expect(fresh([view('p2', '10.0.0.2:0')]).of('agent', 'ai', key)).to.equal(undefined)
    expect(fresh([]).of('agent', 'ai', key)).to.equal(undefined)
    expect(fresh([view('p2', '[fd00::2]:7400')]).of('agent', 'ai', key)).to.equal('[fd00::2]:7400')
  })

  it('should give nothing when no member holds the role', () => {
    expect(owners.of('shard', 'storage', 'u1')).to.equal(undefined)
  })
})
