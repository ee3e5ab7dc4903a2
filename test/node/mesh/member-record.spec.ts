import { expect } from 'chai'
import { memberOf, recordOf } from '../../../node/mesh/member-record.ts'
import type { MemberView } from '../../../node/mesh/membership.ts'
import type { Member } from '../../../protocols/index.ts'

describe('member records', () => {
  const self: Member = {
    peerId: '12D3KooWSelf', roles: ['chat', 'ai'], status: 'up',
    addresses: { grpc: '127.0.0.1:7400', admin: '127.0.0.1:7402', p2p: ['/ip4/127.0.0.1/tcp/7401/p2p/12D3KooWSelf'] },
    load: { actors: 3, entities: 1, mailbox: 0, rssBytes: 100 }, capacity: 2, startedAt: 1_700_000_000_000, version: '0.1.0'
  }

  it('should say of this node only joining, up or draining, with its start as its incarnation', () => {
    expect(recordOf(self)).to.deep.include({ status: 'up', incarnation: self.startedAt, capacity: 2, roles: ['chat', 'ai'] })
    expect(recordOf({ ...self, status: 'joining' }).status).to.equal('joining')
    // suspect and down are the others' verdicts, never a member's own
    for (const status of ['draining', 'suspect', 'down'] as const) expect(recordOf({ ...self, status }).status).to.equal('draining')
  })

  it('should say which plugins and servers run here only when some do', () => {
    expect(recordOf(self)).to.not.have.property('plugins')
    expect(recordOf({ ...self, plugins: [], servers: [] })).to.not.have.any.keys('plugins', 'servers')
    const record = recordOf({ ...self, plugins: [{ name: 'clock', version: '1.0.0' }], servers: ['memory'] })
    expect(record).to.deep.include({ plugins: [{ name: 'clock', version: '1.0.0' }], servers: ['memory'] })
    expect(memberOf({ ...record, status: 'up', lastSeen: 1 })).to.deep.include({ plugins: [{ name: 'clock', version: '1.0.0' }], servers: ['memory'] })
  })

  it('should show another member as the admin API does, with when it was last heard', () => {
    const view: MemberView = { ...recordOf(self), status: 'suspect', lastSeen: 1_700_000_005_000 }
    expect(memberOf(view)).to.deep.equal({ ...self, status: 'suspect', lastSeen: 1_700_000_005_000 })
  })
})
