import { expect } from 'chai'
import { clusterRoutes } from '../../../../node/admin/routes/cluster-routes.ts'
import type { Member } from '../../../../protocols/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { storageQuorum } from '../../../helpers/storage-quorum.ts'

const member = (peerId: string, status: Member['status']): Member => ({
  peerId, roles: ['storage'], status, addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, capacity: 1, startedAt: 0, version: 'test'
})

describe('clusterRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  it('should show this node among the members, with the write quorum when the node guards one', async () => {
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/cluster', headers: { authorization: `Bearer ${TOKEN}` } })).json()).to.deep.equal({ self: f.self(), members: [f.self()] })
    f.writes = storageQuorum('12D3KooWTest', ['12D3KooWTest', 'b'], new Set())
    await f.build()
    const body = (await f.app.inject({ method: 'GET', url: '/api/v1/cluster', headers: { authorization: `Bearer ${TOKEN}` } })).json() as { writes: unknown }
    expect(body.writes).to.deep.equal({ available: false, needed: 2, writeQuorum: 2, replicas: 2, storageNodes: 2, storageUp: 1, partitions: 16, unavailablePartitions: 16, down: ['b'] })
  })

  it('should serve alone: the members sorted by peer id, self among them', async () => {
    const self = member('12D3KooWm', 'up')
    const others = [member('12D3KooWz', 'up'), member('12D3KooWa', 'down')]
    const app = await pluginApp(clusterRoutes({ self: () => self, others: () => others }))
    try {
      const body = (await app.inject({ method: 'GET', url: '/api/v1/cluster' })).json() as { self: Member, members: Member[] }
      expect(body.self).to.deep.equal(self)
      expect(body.members.map((m) => [m.peerId, m.status])).to.deep.equal([['12D3KooWa', 'down'], ['12D3KooWm', 'up'], ['12D3KooWz', 'up']])
      expect(body).to.not.have.property('writes')
    } finally {
      await app.close()
    }
  })
})
