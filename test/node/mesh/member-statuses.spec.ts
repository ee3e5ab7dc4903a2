import { expect } from 'chai'
import { MemberStatuses } from '../../../node/mesh/member-statuses.ts'
import type { MemberView } from '../../../node/mesh/membership.ts'

const view = (peerId: string, status: MemberView['status']): MemberView => ({
  peerId, roles: ['chat'], status, capacity: 1, lastSeen: 0, incarnation: 1, version: 'v', addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }
})

describe('MemberStatuses', () => {
  /** The links as the actor transport takes them, recording what it was told. */
  interface Links { readonly down: string[], readonly warmed: string[], peerDown (p: string): void, warm (p: string): void }
  function fixture (): { statuses: MemberStatuses, said: string[], links: Links } {
    const said: string[] = []
    const log = { info: (_o: object, msg: string) => { said.push(`info: ${msg}`) }, warn: (_o: object, msg: string) => { said.push(`warn: ${msg}`) } }
    const links: Links = { down: [], warmed: [], peerDown (p) { this.down.push(p) }, warm (p) { this.warmed.push(p) } }
    return { statuses: new MemberStatuses('n1', log), said, links }
  }

  it('should say a member newly down once, at warn, and close its link', () => {
    const { statuses, said, links } = fixture()
    statuses.update([view('n2', 'up')], links)
    statuses.update([view('n2', 'down')], links)
    statuses.update([view('n2', 'down')], links)
    expect(said).to.deep.equal(['warn: member n2 is down (its process is gone, or it answered no probe, directly or through another member, for the failure timeout); its entities move'])
    expect(links.down).to.deep.equal(['n2'])
    statuses.update([view('n2', 'up')], links)
    expect(said.at(-1)).to.equal('info: member n2 is back')
  })

  it('should say a member gone after its drain at info, and remember it drained until it is up again', () => {
    const { statuses, said, links } = fixture()
    statuses.update([view('n2', 'draining')], links)
    expect(statuses.drained('n2')).to.equal(true)
    statuses.update([view('n2', 'down')], links)
    expect(said).to.deep.equal(['info: member n2 is gone after its drain'])
    expect(statuses.drained('n2')).to.equal(true)
    statuses.update([view('n2', 'joining')], links)
    expect(statuses.drained('n2')).to.equal(false)
  })

  it('should open the link of every other member up or joining, never this node\'s own, and work with no links at all', () => {
    const { statuses, links } = fixture()
    statuses.update([view('n1', 'up'), view('n2', 'joining'), view('n3', 'up'), view('n4', 'suspect'), view('n5', 'draining')], links)
    expect(links.warmed).to.deep.equal(['n2', 'n3'])
    statuses.update([view('n2', 'down')], undefined)
  })
})
