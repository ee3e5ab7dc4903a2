import { expect } from 'chai'
import type { FastifyInstance } from 'fastify'
import { retentionRoutes } from '../../../../node/admin/routes/retention-routes.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { ErasureRig } from '../../../helpers/erasure-rig.ts'

describe('retentionRoutes', () => {
  let rig: ErasureRig
  let app: FastifyInstance
  let runs = 0
  beforeEach(async () => {
    rig = await new ErasureRig().open()
    runs = 0
    app = await pluginApp(retentionRoutes({
      system: rig.system,
      retention: { start: () => { runs++; return rig.jobs.start('retention', null, async () => 'done') }, defaults: () => ({ days: 90 }) }
    }))
  })
  afterEach(async () => {
    await app.close()
    await rig.close()
  })

  it('should set, show and clear a room\'s own retention, with the cluster default beside', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/retention' })).json()).to.deep.equal({ defaults: { days: 90 }, rooms: {} })
    const set = await app.inject({ method: 'PUT', url: '/api/v1/rooms/general/retention', payload: { setting: { posts: 1000 } } })
    expect(set.statusCode).to.equal(200)
    await app.inject({ method: 'PUT', url: '/api/v1/rooms/archive/retention', payload: { setting: 'forever' } })
    expect((await app.inject({ method: 'GET', url: '/api/v1/retention' })).json()).to.deep.equal({ defaults: { days: 90 }, rooms: { general: { posts: 1000 }, archive: 'forever' } })
    await app.inject({ method: 'PUT', url: '/api/v1/rooms/general/retention', payload: { setting: null } })
    expect((await app.inject({ method: 'GET', url: '/api/v1/retention' })).json()).to.deep.equal({ defaults: { days: 90 }, rooms: { archive: 'forever' } })
  })

  it('should refuse a setting that keeps nothing, and start the job on run', async () => {
    for (const setting of [{}, { days: 0 }, 'always']) {
      expect((await app.inject({ method: 'PUT', url: '/api/v1/rooms/general/retention', payload: { setting } })).statusCode, JSON.stringify(setting)).to.equal(400)
    }
    const run = await app.inject({ method: 'POST', url: '/api/v1/retention/run' })
    expect(run.statusCode).to.equal(202)
    expect(runs).to.equal(1)
  })
})
