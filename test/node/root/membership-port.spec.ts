import { expect } from 'chai'
import { MembershipPort } from '../../../node/root/index.ts'
import type { PortMember } from '../../../node/root/index.ts'

describe('MembershipPort', () => {
  it('should have no members, announce nothing and not be settled until the mesh binds it', () => {
    const port = new MembershipPort()
    expect(port.members()).to.deep.equal([])
    expect([...port.live()]).to.deep.equal([])
    expect(port.isLive('a')).to.equal(false)
    expect(port.settled()).to.equal(false)
    port.announce()
  })

  it('should read the bound mesh each time: members not down are live, announce and settled go through', () => {
    const port = new MembershipPort()
    let members: PortMember[] = [
      { peerId: 'a', status: 'up', lastSeen: 1, roles: ['chat'] },
      { peerId: 'b', status: 'down', lastSeen: 1, roles: ['chat'] },
      { peerId: 'c', status: 'suspect', lastSeen: 1, roles: ['storage'] }
    ]
    let announced = 0
    let settled = false
    port.bind({ members: () => members, announce: () => { announced++ }, settled: () => settled })
    expect([...port.live()].sort()).to.deep.equal(['a', 'c'])
    expect(port.isLive('b')).to.equal(false)
    members = [{ peerId: 'b', status: 'up', lastSeen: 2, roles: [] }]
    expect(port.isLive('b')).to.equal(true)
    port.announce()
    settled = true
    expect(announced).to.equal(1)
    expect(port.settled()).to.equal(true)
    expect(() => { port.bind({ members: () => [], announce: () => undefined, settled: () => false }) }).to.throw('bound already')
  })
})
