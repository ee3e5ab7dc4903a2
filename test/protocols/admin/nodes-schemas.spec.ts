import { expect } from 'chai'
import { MEMBER_STATUSES, ROLE_NAMES, memberSchema } from '../../../protocols/admin/nodes-schemas.ts'
import type { Member } from '../../../protocols/admin/nodes-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

const member: Member = {
  peerId: '12D3KooWTest', roles: ['chat', 'storage'], status: 'up', addresses: { grpc: '127.0.0.1:7400', admin: '127.0.0.1:7402', p2p: ['/ip4/127.0.0.1/tcp/7401/p2p/12D3KooWTest'] },
  load: { actors: 3, entities: 1, mailbox: 0, rssBytes: 1_000_000 }, capacity: 1, startedAt: 1, version: '1.0.0'
}

describe('memberSchema', () => {
  it('should fit the member shape scripts rely on (docs/architecture.md, "External interface")', () => {
    const check = validatorOf(memberSchema)
    expect(check(member).ok).to.equal(true)
    expect(check({ ...member, lastSeen: 5, settled: true, models: ['tiny'] }).ok).to.equal(true)
    const { load: _, ...noLoad } = member
    expect(check(noLoad).errors).to.deep.equal(["must have required property 'load'"])
    expect(check({ ...member, status: 'gone' }).errors).to.deep.equal(['/status must be equal to one of the allowed values'])
    expect(check({ ...member, roles: ['root'] }).errors).to.deep.equal(['/roles/0 must be equal to one of the allowed values'])
  })

  it('should name the roles and the statuses a member may have', () => {
    expect(ROLE_NAMES).to.deep.equal(['chat', 'ai', 'storage', 'backup', 'plugins'])
    expect(MEMBER_STATUSES).to.deep.equal(['joining', 'up', 'suspect', 'draining', 'down'])
  })
})
