import { expect } from 'chai'
import type { AuditRecord } from '../../../../actors/index.ts'
import { UserAccounts } from '../../../../node/index.ts'
import { ToolPolicy } from '../../../../node/users/index.ts'
import { userToolsRoutes } from '../../../../node/admin/routes/user-tools-routes.ts'
import { MAX_TOOL_NAMES_PER_CHANGE } from '../../../../protocols/index.ts'
import type { ToolSpec } from '../../../../protocols/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('userToolsRoutes (real Fastify inject, the real tool policy entity and LevelDB)', () => {
  const f = new AdminFixture()
  beforeEach(async () => {
    await f.setup()
    await new UserAccounts(f.system).add('ann')
  })
  afterEach(async () => { await f.teardown() })

  const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload: payload as Record<string, unknown> }) })
  const spec = (name: string): ToolSpec => ({ name, source: { kind: 'plugin', name: name.split('__')[0] ?? '' }, tool: 'x', description: '', inputSchema: {} })

  it('should grant and revoke a user\'s tools, show them, and have the node\'s policy follow', async () => {
    expect((await api('GET', '/api/v1/users/ann/tools')).json()).to.deep.equal({ user: 'ann', granted: [], enabled: [], disabled: [] })
    const granted = await api('POST', '/api/v1/users/ann/tools', { grant: ['clock__*', 'calc__add'] })
    expect(granted.statusCode).to.equal(200)
    expect(granted.json()).to.deep.equal({ user: 'ann', granted: ['calc__add', 'clock__*'], enabled: [], disabled: [] })
    const policy = new ToolPolicy({ system: f.system })
    expect(await policy.allowed('ann', spec('clock__now'))).to.equal(true)
    // revokes apply before grants: one request swaps a source for one of its tools
    const swapped = await api('POST', '/api/v1/users/ann/tools', { revoke: ['clock__*'], grant: ['clock__now'] })
    expect(swapped.json()).to.deep.include({ granted: ['calc__add', 'clock__now'] })
    expect(await new ToolPolicy({ system: f.system }).allowed('ann', spec('clock__zone'))).to.equal(false)
    // the user's own switches show here
    await policy.switch('ann', { disable: ['calc__add'] })
    expect((await api('GET', '/api/v1/users/ann/tools')).json()).to.deep.include({ disabled: ['calc__add'] })
    // a retry changes nothing
    expect((await api('POST', '/api/v1/users/ann/tools', { grant: ['clock__now'] })).json()).to.deep.include({ granted: ['calc__add', 'clock__now'] })
  })

  it('should record every change in the audit trail, with what was granted and revoked', async () => {
    await api('POST', '/api/v1/users/ann/tools', { grant: ['clock__*'] })
    await api('POST', '/api/v1/users/ann/tools', { revoke: ['clock__now'] })
    await api('GET', '/api/v1/users/ann/tools')
    const records = ((await api('GET', '/api/v1/audit')).json() as { records: AuditRecord[] }).records.filter((r) => r.target === '/api/v1/users/ann/tools')
    expect(records.map((r) => [r.action, r.outcome, r.status, r.detail])).to.deep.equal([
      ['POST /api/v1/users/:name/tools', 'ok', 200, '{"grant":["clock__*"]}'],
      ['POST /api/v1/users/:name/tools', 'refused', 409, '{"revoke":["clock__now"]}']
    ])
  })

  it('should refuse what it cannot do with the error\'s status and code, changing nothing', async () => {
    await api('POST', '/api/v1/users/ann/tools', { grant: ['clock__*'] })
    const bySource = (await api('POST', '/api/v1/users/ann/tools', { revoke: ['clock__now'] })).json()
    expect(bySource).to.include({ statusCode: 409, code: 'TOOL_GRANTED_BY_SOURCE' })
    expect(bySource.message).to.equal('clock__now is granted through clock__*: revoke that, then grant the tools of clock that stay')
    expect((await api('POST', '/api/v1/users/zed/tools', { grant: ['clock__now'] })).json()).to.include({ statusCode: 404, code: 'UNKNOWN_USER' })
    expect((await api('POST', '/api/v1/users/ann/tools', { grant: ['calc__add'], revoke: ['calc__add'] })).json())
      .to.include({ statusCode: 400, message: 'calc__add is both granted and revoked: name it once' })
    expect((await api('GET', '/api/v1/users/ann/tools')).json()).to.deep.include({ granted: ['clock__*'] })
  })

  it('should refuse malformed requests with 400 naming the field, before anything is asked', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['/api/v1/users/ann/tools', {}, /body must NOT have fewer than 1 properties/],
      ['/api/v1/users/ann/tools', { grant: [] }, /body\/grant must NOT have fewer than 1 items/],
      ['/api/v1/users/ann/tools', { grant: ['clock'] }, /body\/grant\/0 must match pattern/],
      ['/api/v1/users/ann/tools', { grant: [`s__${'t'.repeat(70)}`] }, /body\/grant\/0 must NOT have more than 64 characters/],
      ['/api/v1/users/ann/tools', { grant: ['a__b', 'a__b'] }, /body\/grant must NOT have duplicate items/],
      ['/api/v1/users/ann/tools', { grant: Array.from({ length: MAX_TOOL_NAMES_PER_CHANGE + 1 }, (_, i) => `s__t${i}`) }, /body\/grant must NOT have more than 64 items/],
      ['/api/v1/users/ann/tools', { grant: ['a__b'], all: true }, /body must NOT have additional properties/],
      ['/api/v1/users/Ann!/tools', { grant: ['a__b'] }, /params\/name must match pattern/]
    ]
    for (const [url, payload, message] of cases) {
      const res = await api('POST', url, payload)
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).to.equal(400)
      expect((res.json() as { message: string }).message).to.match(message)
    }
    expect((await api('GET', '/api/v1/users/ann/tools')).json()).to.deep.include({ granted: [] })
  })

  it('should answer 503 on a node that keeps no tool policies, and serve alone with only what it is handed', async () => {
    const without = await pluginApp(userToolsRoutes({ users: new UserAccounts(f.system) }))
    const alone = await pluginApp(userToolsRoutes({ users: new UserAccounts(f.system), toolPolicy: new ToolPolicy({ system: f.system }) }))
    try {
      expect((await without.inject({ method: 'GET', url: '/api/v1/users/ann/tools' })).json()).to.include({ statusCode: 503, code: 'UNAVAILABLE' })
      expect((await alone.inject({ method: 'POST', url: '/api/v1/users/ann/tools', payload: { grant: ['memory__*'] } })).json()).to.deep.include({ granted: ['memory__*'] })
      expect((await api('GET', '/api/v1/users/ann/tools')).json()).to.deep.include({ granted: ['memory__*'] })
    } finally {
      await without.close()
      await alone.close()
    }
  })
})
