import { expect } from 'chai'
import { AdminWrites } from '../../../../node/admin/admin-writes.ts'
import { storageRoutes } from '../../../../node/admin/routes/storage-routes.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('storageRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = (method: 'GET' | 'POST', url: string) => f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` } })

  it('should list the storage nodes and their scrub as this node knows them, behind the token', async () => {
    const storage = await api('GET', '/api/v1/storage')
    expect(storage.statusCode).to.equal(200)
    expect(storage.json()).to.deep.equal([{ peerId: '12D3KooWTest', status: 'up', state: 'active', handOff: null, catchUp: null }])
    const scrub = await api('GET', '/api/v1/scrub')
    expect(scrub.statusCode).to.equal(200)
    // a node alone runs no scrubber: it does not answer for one
    expect(scrub.json()).to.deep.equal([{ peerId: '12D3KooWTest', answered: false, running: null, progress: null, passes: null, scanned: null, bytes: null, corruptFound: null, repaired: null, quarantined: null, lastPass: null }])
    expect((await api('POST', '/api/v1/scrub')).statusCode).to.equal(202)
    for (const [method, url] of [['GET', '/api/v1/storage'], ['GET', '/api/v1/scrub'], ['POST', '/api/v1/scrub']] as const) {
      expect((await f.app.inject({ method, url })).statusCode, `${method} ${url}`).to.equal(401)
    }
  })

  it('should gather the scrub again after a write through this node, though a gather is kept for the reads after it', async () => {
    let asked = 0
    const writes = new AdminWrites()
    const row = (n: number) => ({ peerId: 'p', answered: true, running: n === 2, progress: null, passes: n, scanned: null, bytes: null, corruptFound: null, repaired: null, quarantined: null, lastPass: null })
    const app = await pluginApp(async (api) => {
      api.addHook('onSend', writes.hook())
      await api.register(storageRoutes({ writes, replication: { scrub: async (start) => { asked++; return [row(start ? 9 : asked)] } } }))
    })
    try {
      const passes = async (): Promise<unknown> => ((await app.inject({ method: 'GET', url: '/api/v1/scrub' })).json() as Array<{ passes: number }>)[0]?.passes
      expect(await passes()).to.equal(1)
      expect((await app.inject({ method: 'POST', url: '/api/v1/scrub' })).statusCode).to.equal(202)
      // the scrub started here: the listing kept before it is dropped, and the next read asks again
      expect(await passes()).to.equal(3)
    } finally {
      await app.close()
    }
  })

  it('should answer with none on a node without replication, served alone', async () => {
    const app = await pluginApp(storageRoutes({}))
    try {
      expect((await app.inject({ method: 'GET', url: '/api/v1/storage' })).json()).to.deep.equal([])
      expect((await app.inject({ method: 'GET', url: '/api/v1/scrub' })).json()).to.deep.equal([])
      const started = await app.inject({ method: 'POST', url: '/api/v1/scrub' })
      expect([started.statusCode, started.json()]).to.deep.equal([202, []])
    } finally {
      await app.close()
    }
  })
})
