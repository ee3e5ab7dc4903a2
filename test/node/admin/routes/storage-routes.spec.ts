import { expect } from 'chai'
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
