import { expect } from 'chai'
import type { AuditRecord } from '../../../../actors/index.ts'
import { ADMIN_BURST_READS } from '../../../../node/admin/constants.ts'
import { nodesRoutes } from '../../../../node/admin/routes/nodes-routes.ts'
import type { Member } from '../../../../protocols/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture, NODE_ID } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { storageQuorum } from '../../../helpers/storage-quorum.ts'

describe('nodesRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload }) })

  it('should change a member\'s roles live and answer them with the roles before', async () => {
    const changed = await api('PUT', `/api/v1/nodes/${NODE_ID}/roles`, { roles: ['chat', 'ai'] })
    expect(changed.statusCode, changed.body).to.equal(200)
    expect(changed.json()).to.deep.include({ peerId: NODE_ID, roles: ['chat', 'ai'], previous: ['chat'] })
    for (const [body, says] of [[{ roles: [] }, 'body/roles must NOT have fewer than 1 items'], [{ roles: ['root'] }, 'body/roles/0 must be equal to one of the allowed values'], [{ roles: ['chat'], extra: 1 }, 'body must NOT have additional properties']] as const) {
      const res = await api('PUT', `/api/v1/nodes/${NODE_ID}/roles`, body)
      expect(res.statusCode, JSON.stringify(body)).to.equal(400)
      expect((res.json() as { message: string }).message).to.equal(says)
    }
    expect((await api('PUT', '/api/v1/nodes/0OIl/roles', { roles: ['chat'] })).statusCode).to.equal(400)
  })

  it('should answer a burst of reads of /nodes and /cluster, and show a change in the read after a write answered here', async () => {
    const rolesOf = async (url: string): Promise<string[] | undefined> => {
      const body = (await api('GET', url)).json() as Member[] | { members: Member[] }
      return (Array.isArray(body) ? body : body.members).find((m) => m.peerId === NODE_ID)?.roles
    }
    for (let i = 0; i <= ADMIN_BURST_READS; i++) {
      expect(await rolesOf('/api/v1/nodes')).to.deep.equal(['chat'])
      expect(await rolesOf('/api/v1/cluster')).to.deep.equal(['chat'])
    }
    f.roles = ['chat', 'ai']
    // any write answered through this API (this one refused) drops what a burst kept
    expect((await api('PUT', `/api/v1/nodes/${NODE_ID}/roles`, { roles: [] })).statusCode).to.equal(400)
    expect(await rolesOf('/api/v1/nodes')).to.deep.equal(['chat', 'ai'])
    expect(await rolesOf('/api/v1/cluster')).to.deep.equal(['chat', 'ai'])
  })

  it('should refuse to take the storage role where writes would stop, and do it when forced, the audit trail saying so', async () => {
    f.roles = ['chat', 'storage']
    f.writes = storageQuorum(NODE_ID, [NODE_ID, '12D3KooWb'], new Set(['12D3KooWb']))
    await f.build()
    const refused = await api('PUT', `/api/v1/nodes/${NODE_ID}/roles`, { roles: ['chat'] })
    expect(refused.statusCode).to.equal(409)
    expect(refused.json()).to.deep.include({ code: 'WRITE_QUORUM_LOSS' })
    expect((refused.json() as { message: string }).message).to.match(new RegExp(`^taking the storage role from ${NODE_ID} would leave 1 storage node up, and a write needs 2: .*--force \\(HTTP: "force": true\\)$`))
    const forced = await api('PUT', `/api/v1/nodes/${NODE_ID}/roles`, { roles: ['chat'], force: true })
    expect(forced.statusCode, forced.body).to.equal(200)
    const trail = ((await api('GET', '/api/v1/audit')).json() as { records: AuditRecord[] }).records
    expect(trail.map((r) => [r.action, r.status])).to.deep.equal([['PUT /api/v1/nodes/:peerId/roles', 409], ['PUT /api/v1/nodes/:peerId/roles', 200]])
    expect(trail[1]?.detail).to.match(new RegExp(`^forced despite the write quorum: taking the storage role from ${NODE_ID} would leave 1 storage node up.*; \\{"roles":\\["chat"\\],"force":true\\}$`))
    // keeping the storage role costs nothing: no check
    expect((await api('PUT', `/api/v1/nodes/${NODE_ID}/roles`, { roles: ['all'] })).statusCode).to.equal(200)
  })

  it('should answer 503 to a drain or a decommission on a node that moves nothing, and refuse a peer id that is none', async () => {
    for (const mode of ['drain', 'decommission'] as const) {
      const res = await api('POST', `/api/v1/nodes/12D3KooWb/${mode}`)
      expect(res.json(), mode).to.deep.include({ statusCode: 503, code: 'UNAVAILABLE', message: `this node cannot ${mode} members (it runs without a cluster key)` })
      expect((await api('POST', `/api/v1/nodes/12D3KooWb/${mode}`, { force: 'yes' })).statusCode, mode).to.equal(400)
      expect((await api('POST', `/api/v1/nodes/${'x'.repeat(129)}/${mode}`)).statusCode, mode).to.equal(400)
    }
  })

  it('should serve alone: every member sorted by peer id', async () => {
    const at = (peerId: string): Member => ({ ...f.self(), peerId })
    const app = await pluginApp(nodesRoutes({ self: () => at('12D3KooWm'), others: () => [at('12D3KooWz'), at('12D3KooWa')], cluster: f.cluster }))
    try {
      expect(((await app.inject({ method: 'GET', url: '/api/v1/nodes' })).json() as Member[]).map((m) => m.peerId)).to.deep.equal(['12D3KooWa', '12D3KooWm', '12D3KooWz'])
    } finally {
      await app.close()
    }
  })
})
