import { expect } from 'chai'
import type { AuditRecord } from '../../../../actors/index.ts'
import { pluginsRoutes } from '../../../../node/admin/routes/plugins-routes.ts'
import { MAX_PACKAGE_BYTES } from '../../../../protocols/plugins/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { validatorOf } from '../../../helpers/admin-schema-check.ts'
import { lonePlugins } from '../../../helpers/lone-plugins.ts'
import type { LonePlugins } from '../../../helpers/lone-plugins.ts'
import { pluginPackage, rawTgz, manifestEntry } from '../../../helpers/plugin-packages.ts'

describe('pluginsRoutes', function () {
  this.timeout(60_000)
  const f = new AdminFixture()
  let p: LonePlugins
  beforeEach(async () => {
    await f.setup({ roles: ['chat', 'plugins'] })
    p = lonePlugins(f.system, f.dataDir)
    f.plugins = p.registry
    await f.build()
  })
  afterEach(async () => {
    await p.close()
    await f.teardown()
  })

  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload }) })
  const upload = async (bytes: Buffer, type = 'application/gzip') =>
    await f.app.inject({ method: 'POST', url: '/api/v1/plugins', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type }, payload: bytes })
  const plugin = validatorOf({ $ref: 'Plugin#' })

  it('should install a package, list it running here, upgrade, roll back, disable, enable, read its logs and remove it, each step audited', async () => {
    const first = await upload(await pluginPackage(f.dataDir))
    expect(first.statusCode, first.body).to.equal(201)
    const installed = first.json() as { plugin: { name: string, active: string }, version: string, digest: string, installed: boolean }
    expect(installed).to.deep.include({ version: '1.0.0', installed: true })
    expect(installed.digest).to.match(/^[0-9a-f]{64}$/)
    expect(plugin(installed.plugin).ok).to.equal(true)
    expect((await upload(await pluginPackage(f.dataDir))).statusCode, 'the same package again').to.equal(200)
    await p.reconciler.reconcile()
    const listed = await api('GET', '/api/v1/plugins')
    const [row] = listed.json() as Array<{ name: string, enabled: boolean, nodes: Array<{ node: string, state: string, version: string }> }>
    expect(row).to.deep.include({ name: 'clock', enabled: true })
    expect(row?.nodes.map((n) => [n.node, n.version, n.state])).to.deep.equal([[f.system.node, '1.0.0', 'running']])
    expect((await upload(await pluginPackage(f.dataDir, { version: '1.1.0' }), 'application/octet-stream')).statusCode).to.equal(201)
    expect((await api('POST', '/api/v1/plugins/clock/upgrade', { version: '1.1.0' })).json()).to.deep.include({ active: '1.1.0', previous: '1.0.0' })
    expect((await api('POST', '/api/v1/plugins/clock/rollback')).json()).to.deep.include({ active: '1.0.0', previous: '1.1.0' })
    expect((await api('POST', '/api/v1/plugins/clock/disable')).json()).to.deep.include({ enabled: false })
    expect((await api('POST', '/api/v1/plugins/clock/enable')).json()).to.deep.include({ enabled: true })
    await p.reconciler.reconcile()
    const logs = await api('GET', '/api/v1/plugins/clock/logs?limit=5')
    expect(logs.statusCode).to.equal(200)
    expect((logs.json() as { logs: Array<{ node: string, lines: Array<{ line: string }> }> }).logs[0]?.lines.map((l) => l.line)).to.include('clock 1.0.0 up')
    expect((await api('DELETE', '/api/v1/plugins/clock')).json()).to.deep.include({ name: 'clock' })
    expect((await api('GET', '/api/v1/plugins/clock')).statusCode).to.equal(404)
    const trail = ((await api('GET', '/api/v1/audit')).json() as { records: AuditRecord[] }).records.filter((r) => r.target.startsWith('/api/v1/plugins'))
    expect(trail.map((r) => [r.action, r.outcome])).to.deep.equal([
      ['POST /api/v1/plugins', 'ok'], ['POST /api/v1/plugins', 'ok'], ['POST /api/v1/plugins', 'ok'], ['POST /api/v1/plugins/:name/upgrade', 'ok'],
      ['POST /api/v1/plugins/:name/rollback', 'ok'], ['POST /api/v1/plugins/:name/disable', 'ok'], ['POST /api/v1/plugins/:name/enable', 'ok'], ['DELETE /api/v1/plugins/:name', 'ok']
    ])
    expect(trail[0]?.detail).to.match(new RegExp(`^installed clock 1.0.0 \\(sha256 ${installed.digest}\\); a body of \\d+ bytes$`))
    expect(trail[1]?.detail).to.match(/^already installed clock 1.0.0/)
    expect(trail[3]?.detail).to.equal('{"version":"1.1.0"}')
  })

  it('should list a plugin installed through this node in the next read, a listing read just before notwithstanding', async () => {
    expect((await api('GET', '/api/v1/plugins')).json()).to.deep.equal([])
    expect((await upload(await pluginPackage(f.dataDir))).statusCode).to.equal(201)
    expect(((await api('GET', '/api/v1/plugins')).json() as Array<{ name: string }>).map((r) => r.name)).to.deep.equal(['clock'])
    expect((await api('DELETE', '/api/v1/plugins/clock')).statusCode).to.equal(200)
    expect((await api('GET', '/api/v1/plugins')).json()).to.deep.equal([])
  })

  it('should answer a burst of reads of one plugin and of its logs with one gather per round trip, and a change through this node in the next read', async () => {
    expect((await upload(await pluginPackage(f.dataDir))).statusCode).to.equal(201)
    await p.reconciler.reconcile()
    const registry = p.registry
    const asked = { get: 0, logs: 0 }
    const get = registry.get.bind(registry)
    const logs = registry.logs.bind(registry)
    registry.get = async (name) => { asked.get++; return await get(name) }
    registry.logs = async (name, limit, node) => { asked.logs++; return await logs(name, limit, node) }
    const burst = await Promise.all(Array.from({ length: 20 }, async (_, i) => await api('GET', i % 2 === 0 ? '/api/v1/plugins/clock' : '/api/v1/plugins/clock/logs?limit=5')))
    expect(burst.map((r) => r.statusCode)).to.deep.equal(burst.map(() => 200))
    // a gather per read would be 10 of each; coalesced, the first read gathers, those that arrive
    // while it runs share the next one, and those after it take the answer kept 250 ms (a slow
    // machine that spreads the burst's arrival over more than that gathers once more per 250 ms)
    expect(asked.get).to.be.within(1, 5)
    expect(asked.logs).to.be.within(1, 5)
    expect((burst[0]?.json() as { enabled: boolean }).enabled).to.equal(true)
    expect((await api('POST', '/api/v1/plugins/clock/disable')).statusCode).to.equal(200)
    expect(((await api('GET', '/api/v1/plugins/clock')).json() as { enabled: boolean }).enabled, 'read right after the change').to.equal(false)
    expect((await api('GET', '/api/v1/plugins/nope')).statusCode).to.equal(404)
  })

  it('should refuse what it cannot take, changing nothing: a bad package, a wrong type, an empty body, a body over the limit, an unknown plugin or version', async () => {
    const escape = await upload(rawTgz([manifestEntry(), { name: '../x', body: 'x' }]))
    expect([escape.statusCode, escape.json().code, escape.json().message]).to.deep.equal([400, 'INVALID_PLUGIN_PACKAGE', 'the entry "../x" climbs out of the package with ..'])
    const range = await upload(await pluginPackage(f.dataDir, { plexi: '>=2' }))
    expect([range.statusCode, (range.json() as { message: string }).message]).to.deep.equal([400, 'clock 1.0.0 works with the plugin API ">=2", which does not include 1.0.0, the one this Plexi speaks'])
    expect((await upload(Buffer.from('{}'), 'application/json')).statusCode).to.equal(400)
    const type = await upload(Buffer.from('x'), 'text/plain')
    expect([type.statusCode, type.json().message]).to.deep.equal([415, 'send the package\'s bytes as content-type: application/gzip'])
    expect((await upload(Buffer.alloc(0))).statusCode).to.equal(400)
    const large = await upload(Buffer.alloc(MAX_PACKAGE_BYTES + 1))
    expect([large.statusCode, large.json().message]).to.deep.equal([413, `a plugin package is at most ${MAX_PACKAGE_BYTES} bytes`])
    // JSON routes keep their own limit
    const big = await f.app.inject({ method: 'POST', url: '/api/v1/plugins/clock/enable', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(100_000) }) })
    expect([big.statusCode, big.json().message]).to.deep.equal([413, 'the body is over the limit of 64 KiB'])
    expect((await api('POST', '/api/v1/plugins/clock/enable')).statusCode).to.equal(404)
    expect((await api('POST', '/api/v1/plugins/Bad_Name/enable')).statusCode).to.equal(400)
    expect((await upload(await pluginPackage(f.dataDir))).statusCode).to.equal(201)
    const noVersion = await api('POST', '/api/v1/plugins/clock/upgrade', { version: '9.9.9' })
    expect([noVersion.statusCode, (noVersion.json() as { message: string }).message]).to.deep.equal([404, 'clock 9.9.9 is not installed (installed: 1.0.0)'])
    expect((await api('POST', '/api/v1/plugins/clock/upgrade', { version: '../1' })).statusCode).to.equal(400)
    expect((await api('POST', '/api/v1/plugins/clock/rollback')).statusCode).to.equal(409)
    expect((await api('GET', '/api/v1/plugins/clock/logs?limit=501')).statusCode).to.equal(400)
    expect((await api('GET', '/api/v1/plugins/clock/logs?node=nobody')).statusCode).to.equal(404)
    expect(((await api('GET', '/api/v1/plugins')).json() as unknown[]).length).to.equal(1)
  })

  it('should answer 503 on a node with no plugin registry', async () => {
    const app = await pluginApp(pluginsRoutes({}))
    try {
      for (const [method, url] of [['GET', '/api/v1/plugins'], ['GET', '/api/v1/plugins/clock'], ['POST', '/api/v1/plugins/clock/disable']] as const) {
        const res = await app.inject({ method, url })
        expect([res.statusCode, res.json().message], url).to.deep.equal([503, 'this node has no plugin registry'])
      }
      expect((await app.inject({ method: 'POST', url: '/api/v1/plugins', headers: { 'content-type': 'application/gzip' }, payload: Buffer.from('x') })).statusCode).to.equal(503)
    } finally {
      await app.close()
    }
  })
})
