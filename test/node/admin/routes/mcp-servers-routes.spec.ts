import { expect } from 'chai'
import type { AuditRecord } from '../../../../actors/index.ts'
import { mcpServersRoutes, registrationForAudit } from '../../../../node/admin/routes/mcp-servers-routes.ts'
import { ServerStatus } from '../../../../node/plugins/index.ts'
import type { McpServerRow } from '../../../../node/admin/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { validatorOf } from '../../../helpers/admin-schema-check.ts'
import { loneServers } from '../../../helpers/lone-servers.ts'
import type { LoneServers } from '../../../helpers/lone-servers.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

/** What a spec's registrations hold that must never be shown back nor recorded. */
const SECRET = 'sk-live-0123456789abcdef'

describe('mcpServersRoutes (real Fastify inject, the real registry entity, a real plugin host running server-memory)', function () {
  this.timeout(60_000)
  const f = new AdminFixture()
  let s: LoneServers
  beforeEach(async () => {
    await f.setup({ roles: ['chat', 'plugins'] })
    s = await loneServers(f.system)
    f.mcpServers = s.servers
    f.mcpServerStatus = s.status
    await f.build()
  })
  afterEach(async () => {
    await s.close()
    await f.teardown()
  })

  const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload }) })
  const server = validatorOf({ $ref: 'McpServer#' })
  const one = async (name: string): Promise<McpServerRow> => (await api('GET', `/api/v1/mcp-servers/${name}`)).json()
  const trail = async (): Promise<AuditRecord[]> => ((await api('GET', '/api/v1/audit?limit=1000')).json() as { records: AuditRecord[] }).records.filter((r) => r.target.startsWith('/api/v1/mcp-servers'))

  it('should register a server, list it with this member connected and its tools, replace it, and remove it, nothing of a secret shown', async () => {
    expect((await api('GET', '/api/v1/mcp-servers')).json()).to.deep.equal([])
    const created = await api('POST', '/api/v1/mcp-servers', s.memory('memory', { API_TOKEN: SECRET }))
    expect(created.statusCode, created.body).to.equal(201)
    expect(server(created.json()).ok, created.body).to.equal(true)
    expect(created.json()).to.deep.include({ name: 'memory', kind: 'stdio', envNames: ['MEMORY_FILE_PATH', 'API_TOKEN'], network: false, memoryMiB: 256 })
    expect((created.json() as McpServerRow).target).to.match(/ \S+server-memory\/dist\/index\.js$/)
    await waitFor(async () => (await one('memory')).nodes[0]?.state === 'up', 'the member to connect', { timeout: 20_000, interval: 50 })
    const [row] = (await api('GET', '/api/v1/mcp-servers')).json() as McpServerRow[]
    expect(row?.nodes).to.have.length(1)
    expect(row?.nodes[0]).to.deep.include({ node: f.system.node, state: 'up', restarts: 0, error: null, retryAt: null })
    expect(row?.nodes[0]?.tools).to.include.members(['memory__read_graph', 'memory__create_entities'])
    expect(row?.nodes[0]?.upSince).to.be.a('number')
    const replaced = await api('PUT', '/api/v1/mcp-servers/memory', { ...s.memory('memory', { API_TOKEN: SECRET }), name: undefined, description: 'renamed' })
    expect([replaced.statusCode, replaced.json().description]).to.deep.equal([200, 'renamed'])
    const added = await api('PUT', '/api/v1/mcp-servers/second', { description: 'by PUT', transport: { kind: 'http', url: 'http://127.0.0.1:9/mcp', auth: { kind: 'token', token: SECRET } } })
    expect([added.statusCode, added.json().auth, added.json().target]).to.deep.equal([201, 'token', 'http://127.0.0.1:9/mcp'])
    const removed = await api('DELETE', '/api/v1/mcp-servers/memory')
    expect([removed.statusCode, removed.json().name, removed.json().nodes]).to.deep.equal([200, 'memory', []])
    expect((await api('GET', '/api/v1/mcp-servers/memory')).json()).to.include({ statusCode: 404, code: 'UNKNOWN_MCP_SERVER' })
    await waitFor(() => s.host.host.servers().every((x) => x.name !== 'memory'), 'the member to drop it', { timeout: 10_000 })
    const everything = JSON.stringify((await api('GET', '/api/v1/mcp-servers')).json())
    expect(everything).to.not.include(SECRET)
    expect([created.body, replaced.body, added.body].join('')).to.not.include(SECRET)
  })

  it('should answer a burst of reads of one server with one gather of the members per round trip, and a change through this node in the next read', async () => {
    expect((await api('POST', '/api/v1/mcp-servers', s.memory('memory'))).statusCode).to.equal(201)
    const status = s.status
    const states = status.states.bind(status)
    let asked = 0
    status.states = async () => { asked++; return await states() }
    const burst = await Promise.all(Array.from({ length: 20 }, async () => await api('GET', '/api/v1/mcp-servers/memory')))
    expect(burst.map((r) => r.statusCode)).to.deep.equal(burst.map(() => 200))
    // one gather of the members' states per read would be 20; coalesced: the first, the one the
    // reads that came while it ran share, and once more per 250 ms the burst's arrival spreads over
    expect(asked).to.be.within(1, 5)
    expect(burst.every((r) => server(r.json()).ok)).to.equal(true)
    expect((await api('PUT', '/api/v1/mcp-servers/memory', { ...s.memory('memory'), name: undefined, description: 'changed' })).statusCode).to.equal(200)
    expect((await one('memory')).description, 'read right after the change').to.equal('changed')
    expect((await api('GET', '/api/v1/mcp-servers/none')).statusCode).to.equal(404)
  })

  it('should audit every change with its secrets left out, a refused one too', async () => {
    await api('POST', '/api/v1/mcp-servers', s.memory('memory', { API_TOKEN: SECRET }))
    await api('POST', '/api/v1/mcp-servers', s.memory('memory', { API_TOKEN: SECRET }))
    await api('PUT', '/api/v1/mcp-servers/web', { transport: { kind: 'http', url: 'https://mcp.example.com/mcp', auth: { kind: 'client-credentials', clientId: 'plexi', clientSecret: SECRET, scope: 'tools' } } })
    await api('POST', '/api/v1/mcp-servers', { name: 'bad', transport: { kind: 'http', url: `https://admin:${SECRET}@mcp.example.com/` } })
    await api('POST', '/api/v1/mcp-servers', { name: 'odd', transport: { kind: 'stdio', command: 'x', headers: { authorization: SECRET } } })
    await api('DELETE', '/api/v1/mcp-servers/web')
    await api('GET', '/api/v1/mcp-servers')
    const records = await trail()
    expect(records.map((r) => [r.action, r.outcome, r.status])).to.deep.equal([
      ['POST /api/v1/mcp-servers', 'ok', 201], ['POST /api/v1/mcp-servers', 'refused', 409], ['PUT /api/v1/mcp-servers/:name', 'ok', 201],
      ['POST /api/v1/mcp-servers', 'refused', 400], ['POST /api/v1/mcp-servers', 'refused', 400], ['DELETE /api/v1/mcp-servers/:name', 'ok', 200]
    ])
    expect(JSON.stringify(records)).to.not.include(SECRET)
    expect(records[0]?.detail).to.include('"env":{"MEMORY_FILE_PATH":"(not recorded)","API_TOKEN":"(not recorded)"}')
    expect(records[2]?.detail).to.equal('{"transport":{"kind":"http","url":"https://mcp.example.com/mcp","auth":{"kind":"client-credentials","clientId":"plexi","clientSecret":"(not recorded)","scope":"tools"}}}')
    expect(records[3]?.detail).to.equal('{"name":"bad","transport":{"kind":"http","url":"https://***@mcp.example.com/"}}')
    expect(records[4]?.detail).to.equal('{"name":"odd","transport":{"kind":"stdio","command":"x","headers":"(not recorded)"}}')
  })

  it('should refuse what breaks a rule with 400 naming the field, a name taken with 409, an unknown one with 404, changing nothing', async () => {
    const cases: Array<[object, RegExp]> = [
      [{ name: 'x' }, /body must have required property 'transport'/],
      [{ name: 'Bad Name', transport: { kind: 'stdio', command: 'x' } }, /body\/name must match pattern/],
      [{ name: 'x', transport: { kind: 'ftp' } }, /body\/transport\/kind must be equal to one of the allowed values/],
      [{ name: 'x', transport: { kind: 'stdio', command: 'x' }, extra: 1 }, /body must NOT have additional properties/],
      [{ name: 'x', transport: { kind: 'stdio', command: 'bin/x' } }, /^MCP server registration: transport\.command: expected an absolute path/],
      [{ name: 'x', transport: { kind: 'stdio', command: 'x', env: { PLEXI_ADMIN_TOKEN: 'a' } } }, /^MCP server registration: transport\.env\.PLEXI_ADMIN_TOKEN: expected a variable name/],
      [{ name: 'x', transport: { kind: 'stdio', command: 'x', url: 'http://a/' } }, /^MCP server registration: transport\.url: not a field/],
      [{ name: 'x', transport: { kind: 'http', url: 'ftp://a/' } }, /^MCP server registration: transport\.url: expected an http: or https: URL/],
      [{ name: 'x', transport: { kind: 'http', url: 'http://a/', auth: { kind: 'token' } } }, /^MCP server registration: transport\.auth\.token: expected a string/]
    ]
    for (const [body, message] of cases) {
      const res = await api('POST', '/api/v1/mcp-servers', body)
      expect(res.statusCode, JSON.stringify(body)).to.equal(400)
      expect((res.json() as { message: string }).message, JSON.stringify(body)).to.match(message)
    }
    expect((await api('POST', '/api/v1/mcp-servers', { name: 'x', transport: { kind: 'stdio', command: 'bin/x' } })).json()).to.include({ code: 'INVALID_SERVER_REGISTRATION' })
    const mismatch = await api('PUT', '/api/v1/mcp-servers/memory', s.memory('other'))
    expect([mismatch.statusCode, mismatch.json().message]).to.deep.equal([400, 'body/name is "other", not the path\'s memory: leave it out, or rename by adding the new one and removing this'])
    expect((await api('POST', '/api/v1/mcp-servers', s.memory())).statusCode).to.equal(201)
    const taken = await api('POST', '/api/v1/mcp-servers', s.memory())
    expect([taken.statusCode, taken.json().code]).to.deep.equal([409, 'MCP_SERVER_EXISTS'])
    expect((await api('DELETE', '/api/v1/mcp-servers/nothing')).json()).to.include({ statusCode: 404, code: 'UNKNOWN_MCP_SERVER' })
    expect((await api('GET', '/api/v1/mcp-servers/Bad')).statusCode).to.equal(400)
    expect(((await api('GET', '/api/v1/mcp-servers')).json() as McpServerRow[]).map((r) => r.name)).to.deep.equal(['memory'])
  })

  it('should show a member\'s failed connection with why and when it tries again, and a member that does not answer as unreachable', async () => {
    await api('POST', '/api/v1/mcp-servers', { name: 'broken', description: '', transport: { kind: 'stdio', command: '/no/such/server' } })
    await waitFor(async () => (await one('broken')).nodes[0]?.state === 'failed', 'the member to fail to connect', { timeout: 10_000, interval: 50 })
    const failed = (await one('broken')).nodes[0]
    expect(failed?.error).to.be.a('string').and.match(/no\/such\/server/)
    expect(failed?.retryAt).to.be.a('number')
    const status = new ServerStatus({ system: f.system, askMs: 300, members: () => [{ peerId: f.system.node, status: 'up', roles: ['plugins'] }, { peerId: '12D3KooWGhost', status: 'up', roles: ['plugins'] }, { peerId: 'gone', status: 'down', roles: ['plugins'] }, { peerId: 'chatty', status: 'up', roles: ['chat'] }] })
    const app = await pluginApp(mcpServersRoutes({ servers: s.servers, status }))
    try {
      const res = await app.inject({ method: 'GET', url: '/api/v1/mcp-servers' })
      expect(res.headers['x-plexi-unreachable']).to.equal('12D3KooWGhost')
      const [row] = res.json() as McpServerRow[]
      expect(row?.nodes.map((n) => [n.node, n.state])).to.deep.equal([['12D3KooWGhost', 'unreachable'], [f.system.node, 'failed']])
    } finally {
      await app.close()
    }
  })

  it('should answer 503 on a node that keeps no registry, and list servers without members when it has no status', async () => {
    const without = await pluginApp(mcpServersRoutes({}))
    const bare = await pluginApp(mcpServersRoutes({ servers: s.servers }))
    try {
      expect((await without.inject({ method: 'GET', url: '/api/v1/mcp-servers' })).json()).to.include({ statusCode: 503, code: 'UNAVAILABLE' })
      expect((await without.inject({ method: 'POST', url: '/api/v1/mcp-servers', payload: s.memory() })).statusCode).to.equal(503)
      expect((await bare.inject({ method: 'POST', url: '/api/v1/mcp-servers', payload: s.memory() })).json()).to.deep.include({ name: 'memory', nodes: [] })
      expect((await bare.inject({ method: 'GET', url: '/api/v1/mcp-servers' })).headers['x-plexi-unreachable']).to.equal(undefined)
    } finally {
      await without.close()
      await bare.close()
    }
  })

  it('registrationForAudit should keep what is shown and leave every secret out, whatever the body', () => {
    expect(registrationForAudit(undefined)).to.equal(undefined)
    expect(registrationForAudit('text')).to.equal('text')
    expect(registrationForAudit({ name: 'a', transport: [SECRET] })).to.deep.equal({ name: 'a', transport: '(not recorded)' })
    expect(registrationForAudit({ transport: { kind: 'stdio', env: [SECRET], auth: SECRET, url: `http://${SECRET}@x/` } }))
      .to.deep.equal({ transport: { kind: 'stdio', env: '(not recorded)', auth: '(not recorded)', url: 'http://***@x/' } })
    expect(registrationForAudit({ transport: { url: `not a url ${SECRET}@` } })).to.deep.equal({ transport: { url: '(not recorded)' } })
    expect(registrationForAudit({ token: SECRET, transport: { kind: 'http', auth: { kind: 'oauth', clientId: 'c', clientSecret: SECRET, refresh: SECRET } } }))
      .to.deep.equal({ token: '(not recorded)', transport: { kind: 'http', auth: { kind: 'oauth', clientId: 'c', clientSecret: '(not recorded)', refresh: '(not recorded)' } } })
  })
})
