import { expect } from 'chai'
import type { MemberView } from '../../../node/mesh/membership.ts'
import { leavingCandidates, roleCandidates } from '../../../node/mesh/role-candidates.ts'
import type { RoleCandidatesInput } from '../../../node/mesh/role-candidates.ts'

const view = (peerId: string, roles: string[], status: MemberView['status'] = 'up', extra: Partial<MemberView> = {}): MemberView => ({
  peerId, roles, status, capacity: 1, lastSeen: 0, incarnation: 1, version: 'v', addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, ...extra
})
const input = (over: Partial<RoleCandidatesInput>): RoleCandidatesInput => ({
  self: 'n1', selfRoles: ['chat'], capacity: 2, serving: true, selfSettled: true, settled: new Set(), others: [], pinsOf: (list) => new Map(list), ...over
})
const byPeer = (list: ReturnType<typeof roleCandidates>): Record<string, readonly string[]> => Object.fromEntries(list.map((c) => [c.peerId, c.roles]))

describe('roleCandidates', () => {
  it('should give each role to the members settled that hold it, this node included once it settled', () => {
    const others = [view('n2', ['chat', 'ai']), view('n3', ['chat'])]
    const got = roleCandidates(input({ others, settled: new Set(['n2']) }))
    expect(byPeer(got)).to.deep.equal({ n2: ['chat', 'ai'], n1: ['chat'] })
    expect(got.find((c) => c.peerId === 'n1')?.capacity).to.equal(2)
  })

  it('should give a role no settled member holds to every member up that holds it, until one settles', () => {
    const others = [view('n2', ['ai']), view('n3', ['ai'], 'suspect'), view('n4', ['ai'], 'down')]
    expect(byPeer(roleCandidates(input({ others, selfSettled: false })))).to.deep.equal({ n2: ['ai'], n3: ['ai'], n1: ['chat'] })
  })

  it('should keep this node the owner of a role it holds when it is the only one, serving or not', () => {
    expect(byPeer(roleCandidates(input({ serving: false, selfSettled: false })))).to.deep.equal({ n1: ['chat'] })
    // not serving (it drains) while another member up holds the role: that member takes it all
    expect(byPeer(roleCandidates(input({ serving: false, others: [view('n2', ['chat'])] })))).to.deep.equal({ n2: ['chat'] })
  })

  it('should carry every candidate\'s pins, and this node\'s own', () => {
    const pins = [['pin-a', 3]] as const
    const got = roleCandidates(input({ others: [view('n2', ['chat'], 'up', { pins: [pins[0]] })], settled: new Set(['n2']), pins: new Map([['pin-b', 1]]) }))
    expect(got.find((c) => c.peerId === 'n2')?.pins).to.deep.equal(new Map([['pin-a', 3]]))
    expect(got.find((c) => c.peerId === 'n1')?.pins).to.deep.equal(new Map([['pin-b', 1]]))
  })
})

describe('leavingCandidates', () => {
  it('should list the other members draining, with their roles, and no one else', () => {
    const members = [view('n1', ['chat'], 'draining'), view('n2', ['ai'], 'draining'), view('n3', ['chat'])]
    expect(leavingCandidates('n1', members)).to.deep.equal([{ peerId: 'n2', roles: ['ai'], capacity: 1 }])
  })
})
