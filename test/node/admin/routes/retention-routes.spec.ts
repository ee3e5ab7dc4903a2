import { expect } from 'chai'
import type { FastifyInstance } from 'fastify'
import { RETENTION, RETENTION_POLICY_KEY } from '../../../../actors/index.ts'
import { AdminWrites } from '../../../../node/admin/admin-writes.ts'
import { retentionRoutes } from '../../../../node/admin/routes/retention-routes.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { ErasureRig } from '../../../helpers/erasure-rig.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

describe('retentionRoutes', () => {
  let rig: ErasureRig
  let app: FastifyInstance
  let runs = 0
  beforeEach(async () => {
    rig = await new ErasureRig().open()
    runs = 0
    const writes = new AdminWrites()
    app = await pluginApp(async (api) => {
      api.addHook('onSend', writes.hook())
      await api.register(retentionRoutes({
        writes,
        system: rig.system,
        retention: { start: () => { runs++; return rig.jobs.start('retention', null, async () => 'done') }, defaults: () => ({ days: 90 }) }
      }))
    })
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

  it('should show a setting changed through this node at the next read, and one changed elsewhere within the kept answer\'s 250 ms', async () => {
    const rooms = async (): Promise<unknown> => ((await app.inject({ method: 'GET', url: '/api/v1/retention' })).json() as { rooms: unknown }).rooms
    expect(await rooms()).to.deep.equal({})
    // kept for the reads after it, but a PUT answered here drops it before its answer goes out
    await app.inject({ method: 'PUT', url: '/api/v1/rooms/general/retention', payload: { setting: { posts: 10 } } })
    expect(await rooms()).to.deep.equal({ general: { posts: 10 } })
    // as another node's admin API would: straight to the entity, which this node's API does not see
    await rig.system.entity(RETENTION, RETENTION_POLICY_KEY).ask((replyTo) => ({ type: 'set', room: 'archive', setting: 'forever', replyTo }))
    await waitFor(async () => JSON.stringify(await rooms()) === JSON.stringify({ general: { posts: 10 }, archive: 'forever' }), 'the change made elsewhere', { timeout: 5_000, interval: 20 })
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
