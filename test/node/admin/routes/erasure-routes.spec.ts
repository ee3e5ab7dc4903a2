import { expect } from 'chai'
import type { FastifyInstance } from 'fastify'
import type { ChatMessage } from '../../../../actors/index.ts'
import { erasureRoutes } from '../../../../node/admin/routes/erasure-routes.ts'
import { scanStore } from '../../../../node/erasure/index.ts'
import { ADMIN_TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { ErasureRig } from '../../../helpers/erasure-rig.ts'

describe('erasureRoutes', () => {
  let rig: ErasureRig
  let app: FastifyInstance
  const started: Array<[string, string]> = []
  beforeEach(async () => {
    rig = await new ErasureRig().open()
    started.length = 0
    app = await pluginApp(erasureRoutes({
      system: rig.system,
      scanStore: async (text) => await scanStore(rig.store, text),
      erasure: { start: (name, by) => { started.push([name, by]); return rig.jobs.start('erase', name, async () => 'erased') } }
    }))
  })
  afterEach(async () => {
    await app.close()
    await rig.close()
  })

  it('should start an erasure as the admin, answering 202 with the job, and refuse a bad name', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/users/alice/erase' })
    expect(res.statusCode).to.equal(202)
    expect(res.json()).to.include({ kind: 'erase', target: 'alice' })
    expect(started).to.deep.equal([['alice', 'admin']])
    expect((await app.inject({ method: 'POST', url: '/api/v1/users/Bad%20Name/erase' })).statusCode).to.equal(400)
  })

  it('should redact anyone\'s post as an admin, idempotently, and answer 404 for a seq the room does not hold', async () => {
    await rig.post('general', 'alice', 'to be removed')
    const res = await app.inject({ method: 'POST', url: '/api/v1/rooms/general/redact', payload: { seq: 1 } })
    expect(res.statusCode).to.equal(200)
    expect(res.json()).to.include({ room: 'general', seq: 1, redactionSeq: 2, already: false })
    expect((await app.inject({ method: 'POST', url: '/api/v1/rooms/general/redact', payload: { seq: 1 } })).json()).to.include({ already: true })
    expect((await app.inject({ method: 'POST', url: '/api/v1/rooms/general/redact', payload: { seq: 9 } })).statusCode).to.equal(404)
    expect((await app.inject({ method: 'POST', url: '/api/v1/rooms/general/redact', payload: { seq: 0 } })).statusCode).to.equal(400)
    const history = await rig.system.entity({ type: 'room' } as never, 'general').ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo }))
    expect(history[1]).to.include({ kind: 'redaction', user: 'admin', redacts: 1 })
  })

  it('should scan this node\'s store for a text, straight from LevelDB', async () => {
    await rig.post('general', 'alice', 'find me here')
    const found = await app.inject({ method: 'POST', url: '/api/v1/storage/scan', payload: { text: 'find me' } })
    expect(found.statusCode).to.equal(200)
    expect(found.json()).to.include({ holding: 1 })
    expect((await app.inject({ method: 'POST', url: '/api/v1/storage/scan', payload: { text: 'not there' } })).json()).to.include({ holding: 0 })
    expect((await app.inject({ method: 'POST', url: '/api/v1/storage/scan', payload: { text: 'ab' } })).statusCode).to.equal(400)
  })

  it('should answer 503 where the node runs no erasures', async () => {
    const bare = await pluginApp(erasureRoutes({ system: rig.system }))
    try {
      expect((await bare.inject({ method: 'POST', url: '/api/v1/users/alice/erase' })).statusCode).to.equal(503)
    } finally {
      await bare.close()
    }
  })

  describe('through the whole endpoint', () => {
    const f = new AdminFixture()
    beforeEach(async () => { await f.setup() })
    afterEach(async () => { await f.teardown() })

    it('should record an erasure and a redaction in the audit trail, and a scan without the text it looked for', async () => {
      const api = async (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
        await f.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload !== undefined && { payload }) })
      expect((await api('POST', '/api/v1/users/alice/erase')).statusCode).to.equal(202)
      expect((await api('POST', '/api/v1/storage/scan', { text: 'the secret itself' })).statusCode).to.equal(503)
      const { records } = (await api('GET', '/api/v1/audit')).json() as { records: Array<{ action: string, actor: string, detail: string }> }
      const erase = records.find((r) => r.action === 'POST /api/v1/users/{name}/erase' || r.action.includes('/erase'))
      expect(erase, JSON.stringify(records.map((r) => r.action))).to.include({ actor: 'admin' })
      expect(JSON.stringify(records)).to.include('alice')
      expect(JSON.stringify(records)).not.to.include('the secret itself')
    })
  })
})
