import { expect } from 'chai'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AdminTokens } from '../../../../node/index.ts'
import { tokensRoutes } from '../../../../node/admin/routes/tokens-routes.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('tokensRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, token = TOKEN, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload }) })

  it('should let a token of scope admin act, list tokens without their secrets, and revoke one at once', async () => {
    const { token } = (await api('POST', '/api/v1/tokens', TOKEN, { name: 'ops', scope: 'admin' })).json() as { token: string }
    expect((await api('POST', '/api/v1/users', token, { name: 'ann' })).statusCode).to.equal(201)
    const listed = (await api('GET', '/api/v1/tokens')).json() as Array<Record<string, unknown>>
    expect(listed.map((t) => [t.name, t.scope])).to.deep.equal([['ops', 'admin']])
    expect(listed[0]).to.have.all.keys('name', 'scope', 'createdAt')
    expect((await api('DELETE', '/api/v1/tokens/ops')).statusCode).to.equal(200)
    expect((await api('GET', '/api/v1/cluster', token)).statusCode).to.equal(401)
    expect((await api('DELETE', '/api/v1/tokens/ops')).json()).to.deep.include({ statusCode: 404, code: 'UNKNOWN_ADMIN_TOKEN' })
  })

  it('should refuse a bad name, a bad scope, an unknown field and a name taken, changing nothing', async () => {
    await api('POST', '/api/v1/tokens', TOKEN, { name: 'taken' })
    for (const [body, status] of [[{ name: 'Bad Name' }, 400], [{ name: 'x', scope: 'root' }, 400], [{ name: 'x', extra: 1 }, 400], [{}, 400], [{ name: 'taken' }, 409]] as const) {
      const res = await api('POST', '/api/v1/tokens', TOKEN, body)
      expect(res.statusCode, JSON.stringify(body)).to.equal(status)
    }
    expect(((await api('GET', '/api/v1/tokens')).json() as unknown[]).length).to.equal(1)
  })

  it('should keep the tokens as hashes in a file of mode 0600, found again by a node that starts on that data dir', async () => {
    const { token } = (await api('POST', '/api/v1/tokens', TOKEN, { name: 'kept' })).json() as { token: string }
    const file = join(f.dataDir, 'admin-tokens.json')
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    const again = await AdminTokens.open(f.dataDir)
    expect(again.match(token)).to.deep.include({ name: 'kept', scope: 'read' })
    expect(again.match(`${token}x`)).to.equal(undefined)
  })

  it('should refuse every route of a node that keeps no named tokens, and serve alone with them', async () => {
    const none = await pluginApp(tokensRoutes({}))
    const kept = await pluginApp(tokensRoutes({ tokens: f.tokens }))
    try {
      for (const [method, url, payload] of [['GET', '/api/v1/tokens', undefined], ['POST', '/api/v1/tokens', { name: 'x' }], ['DELETE', '/api/v1/tokens/x', undefined]] as const) {
        // (startNode always hands the endpoint its tokens: this answer is the error handler's, a 5xx in the one error shape)
        const res = await none.inject({ method, url, ...(payload !== undefined && { payload }) })
        expect(res.statusCode, `${method} ${url}`).to.be.at.least(500)
        expect(res.json(), `${method} ${url}`).to.have.all.keys('statusCode', 'code', 'error', 'message')
      }
      const made = await kept.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'viewer' } })
      expect(made.statusCode).to.equal(201)
      expect(made.json()).to.have.all.keys('name', 'scope', 'token', 'createdAt')
      expect(f.tokens.match((made.json() as { token: string }).token)).to.deep.include({ name: 'viewer', scope: 'read' })
    } finally {
      await none.close()
      await kept.close()
    }
  })
})
