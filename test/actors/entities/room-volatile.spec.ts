import { expect } from 'chai'
import { ActorSystem, NO_ROOM_PLUGINS, createPlainCodec } from '../../../actors/index.ts'
import { createRoomVolatile, exportRoomVolatile, importRoomVolatile } from '../../../actors/entities/room-volatile.ts'

describe('room volatile state', () => {
  it('should carry subscribers and answering agents across a move as plain data, and start the rest afresh', async () => {
    const system = new ActorSystem()
    try {
      const v = createRoomVolatile(NO_ROOM_PLUGINS)
      v.subscribers.set('n/gw', system.actorAt({ node: 'peer', path: '/chat-gateway' }))
      v.answering.set('room/r/3', { user: 'ann', inReplyTo: 3 })
      v.watched.add('audit')
      const moved = exportRoomVolatile(v)
      const codec = createPlainCodec()
      const back = importRoomVolatile(NO_ROOM_PLUGINS, codec.decode(codec.encode(moved)), system)
      expect([...back.subscribers.values()].map((r) => r.address)).to.deep.equal([{ node: 'peer', path: '/chat-gateway' }])
      expect([...back.answering]).to.deep.equal([['room/r/3', { user: 'ann', inReplyTo: 3 }]])
      expect(back.watched.size).to.equal(0)
      expect(back.judged).to.deep.equal([])
      expect(back.commands).to.deep.equal([])
      expect(back.plugins).to.equal(NO_ROOM_PLUGINS)
    } finally {
      await system.terminate()
    }
  })

  it('should refuse moved state that is not what a room exports', () => {
    for (const data of [undefined, { subscribers: 'x', answering: [] }, { subscribers: [], answering: [['r', 'Not A User', 1]] }, { subscribers: [], answering: [['r', 'ann', 0]] }]) {
      expect(() => importRoomVolatile(NO_ROOM_PLUGINS, data, undefined as never), JSON.stringify(data)).to.throw(/moved room state/)
    }
  })
})
