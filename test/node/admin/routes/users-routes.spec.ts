import { expect } from 'chai'
import { UserAccounts } from '../../../../node/index.ts'
import { usersRoutes } from '../../../../node/admin/routes/users-routes.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('usersRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, token = TOKEN) =>
    f.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload: payload as Record<string, unknown> }) })

  it('should create, list and remove users; the token is shown once and only its hash is kept', async () => {
    const created = await api('POST', '/api/v1/users', { name: 'alice' })
    expect(created.statusCode).to.equal(201)
    const body = created.json() as { name: string, token: string, createdAt: number }
    expect(body.name).to.equal('alice')
    expect(body.token).to.match(/^plxu_[A-Za-z0-9_-]{43}$/)
    expect((await api('GET', '/api/v1/users')).json()).to.deep.equal([{ name: 'alice', createdAt: body.createdAt }])
    let journaled = ''
    // read from the replica itself: opening the journal would take it from the live directory
    for (const record of await f.journal.storage.read('users/all', 1, 1000)) journaled += JSON.stringify(record.event)
    expect(journaled).not.to.include(body.token)
    expect((await api('POST', '/api/v1/users', { name: 'alice' })).json()).to.include({ statusCode: 409, code: 'USER_EXISTS' })
    expect((await api('DELETE', '/api/v1/users/alice')).statusCode).to.equal(200)
    expect((await api('DELETE', '/api/v1/users/alice')).json()).to.include({ statusCode: 404, code: 'UNKNOWN_USER' })
    expect((await api('DELETE', '/api/v1/users/NOT_A_NAME')).statusCode).to.equal(400)
  })

  it('should answer a retried add carrying the first one\'s client id with the user and a new token, the first token revoked', async () => {
    const first = (await api('POST', '/api/v1/users', { name: 'cleo', clientId: 'add-1' })).json() as { name: string, token: string, createdAt: number }
    // the answer was lost (a timeout, a dropped connection): the caller tries again with the same id
    const again = await api('POST', '/api/v1/users', { name: 'cleo', clientId: 'add-1' })
    expect(again.statusCode).to.equal(201)
    const body = again.json() as typeof first
    expect(body.name).to.equal('cleo')
    expect(body.createdAt).to.equal(first.createdAt)
    expect(body.token).to.match(/^plxu_/).and.not.equal(first.token)
    expect(await new UserAccounts(f.system).authenticate(body.token)).to.equal('cleo')
    expect(await new UserAccounts(f.system).authenticate(first.token), 'the lost answer\'s token').to.equal(undefined)
    expect((await api('GET', '/api/v1/users')).json()).to.deep.equal([{ name: 'cleo', createdAt: first.createdAt }])
    // another client id, or none, is another caller: the name is taken
    expect((await api('POST', '/api/v1/users', { name: 'cleo', clientId: 'add-2' })).json()).to.include({ statusCode: 409, code: 'USER_EXISTS' })
    expect((await api('POST', '/api/v1/users', { name: 'cleo' })).json()).to.include({ statusCode: 409, code: 'USER_EXISTS' })
    expect(await new UserAccounts(f.system).authenticate(body.token)).to.equal('cleo')
    // a malformed client id is refused, naming the field, and changes nothing
    const bad = await api('POST', '/api/v1/users', { name: 'dora', clientId: 'has space' })
    expect(bad.statusCode).to.equal(400)
    expect(bad.json().message).to.match(/body\/clientId must match pattern/)
    expect((await api('GET', '/api/v1/users')).json()).to.have.length(1)
    // a user removed and added again with the id of its first add is a new user
    expect((await api('DELETE', '/api/v1/users/cleo')).statusCode).to.equal(200)
    const readded = await api('POST', '/api/v1/users', { name: 'cleo', clientId: 'add-1' })
    expect(readded.statusCode).to.equal(201)
    expect(await new UserAccounts(f.system).authenticate(body.token), 'the removed user\'s token').to.equal(undefined)
  })

  it('should refuse malformed bodies with 400 naming the field, changing nothing', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['/api/v1/users', { name: 'x y' }, /body\/name must match pattern/],
      ['/api/v1/users', { name: 'ok', extra: 1 }, /body must NOT have additional properties/],
      ['/api/v1/users', { name: ['alice'] }, /body\/name must be string/],
      ['/api/v1/users', 'not json', /./]
    ]
    for (const [url, payload, message] of cases) {
      const res = await f.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })
      expect(res.statusCode, `POST ${url} ${JSON.stringify(payload)}`).to.equal(400)
      expect((res.json() as { message: string }).message).to.match(message)
    }
    expect((await api('GET', '/api/v1/users')).json()).to.deep.equal([])
  })

  it('should serve alone with only the node\'s user accounts', async () => {
    const app = await pluginApp(usersRoutes({ users: new UserAccounts(f.system) }))
    try {
      const made = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { name: 'erin' } })
      expect(made.statusCode).to.equal(201)
      expect((await app.inject({ method: 'GET', url: '/api/v1/users' })).json()).to.deep.equal([{ name: 'erin', createdAt: (made.json() as { createdAt: number }).createdAt }])
      // the same users the node's own endpoint shows
      expect((await api('GET', '/api/v1/users')).json()).to.have.length(1)
      expect((await app.inject({ method: 'DELETE', url: '/api/v1/users/erin' })).json()).to.include({ name: 'erin' })
    } finally {
      await app.close()
    }
  })
})
