import { expect } from 'chai'
import { ActorSystem, POST_HOOKS, ROOM, chatRoomType, roomDirectory } from '../../../actors/index.ts'
import type { PostAck, RoomPlugins } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { RoomPluginRig } from '../../helpers/room-plugin-rig.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('room hooks (the room\'s side of after-post)', function () {
  this.timeout(30_000)

  it('should store a post when no post-hooks entity can note the room, saying so in the log', async () => {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    const warnings: string[] = []
    const log = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_o: object, m?: string) => { warnings.push(m ?? '') } }
    const system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true, logger: log })
    const plugins: RoomPlugins = {
      view: () => ({ commands: new Map(), beforePost: [], afterPost: ['audit'] }),
      request: async () => { throw new Error('not here') },
      record: () => undefined
    }
    try {
      system.registerEntity(chatRoomType({ plugins }))
      system.registerEntity(roomDirectory)
      const ack = await system.entity(ROOM, 'r').ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'hi', replyTo }))
      expect(ack.seq).to.equal(1)
      expect(warnings).to.include('post hooks: could not note the room before its post')
      expect(warnings).to.include('post hooks: could not push a post')
    } finally {
      await system.terminate()
      await store.close()
      await dir.remove()
    }
  })

  it('should answer a post-hooks entity\'s hooks-idle: unwatched when it has nothing past the seq, told the head otherwise', async () => {
    const rig = await RoomPluginRig.open({ unwatchAfterMs: 60_000 })
    try {
      await rig.host.start('audit', { afterPost: true })
      await rig.post('r', 'ann', 'one')
      await rig.post('r', 'ann', 'two')
      await waitFor(async () => (await rig.host.logged('audit', 'plexi/after-post')).length === 2, 'both sent')
      const cursors = async (): Promise<Readonly<Record<string, number>>> => await rig.system.entity(POST_HOOKS, 'audit').ask((replyTo) => ({ type: 'cursors', replyTo }))
      await waitFor(async () => (await cursors()).r === 2, 'the cursor noted')
      // an older seq: the room has more, and says where its head is (nothing changes here)
      rig.room('r').tell({ type: 'hooks-idle', plugin: 'audit', seq: 1 })
      // its own seq: the room is no longer watched
      rig.room('r').tell({ type: 'hooks-idle', plugin: 'audit', seq: 2 })
      await waitFor(async () => (await cursors()).r === undefined, 'the room unwatched')
      await rig.post('r', 'ann', 'three')
      await waitFor(async () => (await cursors()).r === 3, 'watched again, and sent')
      expect((await rig.host.logged('audit', 'plexi/after-post')).map((r) => r.params.seq)).to.deep.equal([1, 2, 3])
    } finally {
      await rig.close()
    }
  })
})
