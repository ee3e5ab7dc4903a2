import { expect } from 'chai'
import { DirectoryView, UserAccounts } from '../../../../node/index.ts'
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

  describe('paging', () => {
    const names = ['ann', 'a-b', 'a_b', 'a1', 'bob', 'cleo', 'dora', 'erin', 'fay', 'gus']
    const pages = async (get: (url: string) => Promise<{ statusCode: number, headers: Record<string, unknown>, json: () => unknown }>, limit: number): Promise<{ users: string[], links: string[] }> => {
      const users: string[] = []
      const links: string[] = []
      let url = `/api/v1/users?limit=${limit}`
      // bounded: ten users in pages of at least one
      for (let i = 0; i < 20; i++) {
        const res = await get(url)
        expect(res.statusCode, url).to.equal(200)
        const page = (res.json() as Array<{ name: string }>).map((u) => u.name)
        expect(page.length).to.be.at.most(limit)
        users.push(...page)
        const link = res.headers.link as string | undefined
        if (link === undefined) return { users, links }
        links.push(link)
        url = /^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? ''
        expect(url, link).to.equal(`/api/v1/users?limit=${limit}&after=${page.at(-1) ?? ''}`)
      }
      throw new Error('more than 20 pages of ten users')
    }

    it('should list every user in pages of limit after a name, the whole list in the same order as unpaged, a Link header naming the next page while more follow', async () => {
      for (const name of names) expect((await api('POST', '/api/v1/users', { name })).statusCode).to.equal(201)
      const all = (await api('GET', '/api/v1/users')).json() as Array<{ name: string, createdAt: number }>
      expect(all.map((u) => u.name)).to.have.members(names).and.have.length(names.length)
      for (const limit of [1, 3, 10, 1000]) {
        const { users, links } = await pages(async (url) => await api('GET', url), limit)
        expect(users, `limit ${limit}`).to.deep.equal(all.map((u) => u.name))
        expect(links).to.have.length(Math.ceil(names.length / limit) - 1)
      }
      // after a name that is no user's: from the next one there is
      const third = all[2]?.name ?? ''
      const res = await api('GET', `/api/v1/users?limit=2&after=${third}zz`)
      expect(res.json()).to.deep.equal(all.slice(3, 5))
      expect((await api('GET', `/api/v1/users?after=${all.at(-1)?.name ?? ''}`)).json()).to.deep.equal([])
      expect((await api('GET', `/api/v1/users?after=${third}`)).json(), 'after alone: every user after it').to.deep.equal(all.slice(3))
    })

    it('should refuse a bad limit or after with 400 naming the parameter', async () => {
      const cases: Array<[string, RegExp]> = [
        ['limit=0', /querystring\/limit must be >= 1/],
        ['limit=1001', /querystring\/limit must be <= 1000/],
        ['limit=ten', /querystring\/limit must be integer/],
        ['limit=1.5', /querystring\/limit must be integer/],
        ['after=NOT_A_NAME', /querystring\/after must match pattern/],
        ['after=', /querystring\/after must match pattern/],
        ['offset=3', /querystring must NOT have additional properties/]
      ]
      for (const [query, message] of cases) {
        const res = await api('GET', `/api/v1/users?${query}`)
        expect(res.statusCode, query).to.equal(400)
        expect((res.json() as { message: string }).message, query).to.match(message)
      }
    })

    it('should answer from the node\'s copy of the directory: its own adds and removals at once, another node\'s at the copy\'s next refresh', async () => {
      const view = new DirectoryView({ system: f.system, log: { debug: () => undefined, warn: () => undefined }, refreshMs: 60_000 })
      const here = new UserAccounts(f.system, view)
      const app = await pluginApp(usersRoutes({ users: here }))
      try {
        for (const name of names.slice(0, 5)) await here.add(name)
        await view.refresh()
        const list = async (url = '/api/v1/users'): Promise<string[]> => ((await app.inject({ method: 'GET', url })).json() as Array<{ name: string }>).map((u) => u.name)
        const directory = (await new UserAccounts(f.system).list()).map((u) => u.name)
        expect(await list()).to.deep.equal(directory)
        expect((await pages(async (url) => await app.inject({ method: 'GET', url }), 2)).users).to.deep.equal(directory)
        // through this node: listed (and unlisted) as soon as the request answered
        expect((await app.inject({ method: 'POST', url: '/api/v1/users', payload: { name: 'zed' } })).statusCode).to.equal(201)
        expect(await list()).to.include('zed')
        expect((await app.inject({ method: 'DELETE', url: '/api/v1/users/ann' })).statusCode).to.equal(200)
        expect(await list()).not.to.include('ann')
        // through another node (accounts without this copy): not in the copy until it refreshes
        const elsewhere = new UserAccounts(f.system)
        await elsewhere.add('yan')
        await elsewhere.remove('bob')
        expect(await list()).not.to.include('yan')
        expect(await list()).to.include('bob')
        await view.refresh()
        expect(await list()).to.deep.equal((await elsewhere.list()).map((u) => u.name))
        expect(await list()).to.include('yan').and.not.include('bob')
        // the times are the directory's
        expect(((await app.inject({ method: 'GET', url: '/api/v1/users?limit=1000' })).json())).to.deep.equal(await f.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json()))
      } finally {
        await app.close()
        await view.stop()
      }
    })
  })
})
