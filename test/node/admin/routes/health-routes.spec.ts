import { expect } from 'chai'
import { healthRoutes } from '../../../../node/admin/routes/health-routes.ts'
import type { Readiness } from '../../../../node/admin/routes/health-routes.ts'
import { AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('healthRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  it('should answer readyz 503 while starting or draining and 200 when ready; livez always', async () => {
    for (const [state, code] of [['starting', 503], ['ready', 200], ['draining', 503]] as const) {
      f.readiness = state
      const res = await f.app.inject({ method: 'GET', url: '/readyz' })
      expect(res.statusCode, state).to.equal(code)
      expect(res.json()).to.deep.equal({ status: state })
      expect((await f.app.inject({ method: 'GET', url: '/livez' })).statusCode).to.equal(200)
    }
  })

  it('should ask the readiness it is given at each probe, with no token, when served alone at the root', async () => {
    let state: Readiness = 'starting'
    const app = await pluginApp(healthRoutes({ readiness: () => state }), 'root')
    try {
      expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).to.deep.equal({ status: 'starting' })
      state = 'ready'
      const ready = await app.inject({ method: 'GET', url: '/readyz' })
      expect([ready.statusCode, ready.json()]).to.deep.equal([200, { status: 'ready' }])
      expect((await app.inject({ method: 'GET', url: '/livez' })).json()).to.deep.equal({ status: 'ok' })
      expect((await app.inject({ method: 'POST', url: '/livez' })).json()).to.include({ statusCode: 404, code: 'NOT_FOUND' })
    } finally {
      await app.close()
    }
  })
})
