import { expect } from 'chai'
import { chatRoom } from '../../../../actors/index.ts'
import type { PostAck } from '../../../../actors/index.ts'
import { roomsRoutes } from '../../../../node/admin/routes/rooms-routes.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('roomsRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  it('should list the rooms with a message, and whether each is active on this node', async () => {
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/rooms', headers: { authorization: `Bearer ${TOKEN}` } })).json()).to.deep.equal([])
    await f.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    const rooms = (await f.app.inject({ method: 'GET', url: '/api/v1/rooms', headers: { authorization: `Bearer ${TOKEN}` } })).json() as Array<{ createdAt: number }>
    expect(rooms).to.deep.equal([{ name: 'general', createdAt: rooms[0]?.createdAt, createdBy: 'alice', active: true }])
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/rooms' })).statusCode).to.equal(401)
  })

  it('should serve alone with only the actor system', async () => {
    await f.system.entity(chatRoom, 'lobby').ask<PostAck>((replyTo) => ({ type: 'post', user: 'bob', text: 'hello', replyTo }))
    const app = await pluginApp(roomsRoutes({ system: f.system }))
    try {
      const rooms = (await app.inject({ method: 'GET', url: '/api/v1/rooms' })).json() as Array<{ name: string, createdBy: string, active: boolean }>
      expect(rooms.map((r) => [r.name, r.createdBy, r.active])).to.deep.equal([['lobby', 'bob', true]])
    } finally {
      await app.close()
    }
  })
})
