import { expect } from 'chai'
import { ActorSystem, InvalidMessageError, POST_HOOKS, checkPostHooksMsg, notedCursor, postHooks, roomDirectory, chatRoomType } from '../../../actors/index.ts'
import type { EntityTypeKey, RoomPlugins } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { postHooksMessage } from '../../helpers/entity-messages.ts'
import { handlesWhatItsCheckPasses, onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('checkPostHooksMsg', () => {
  const replyTo = { askId: '1', node: 'peer' }
  const refused = refusalOf(checkPostHooksMsg, InvalidMessageError)

  it('should pass every post-hooks message as nodes send them', () => {
    for (const msg of [
      { type: 'watch', room: 'general', from: 0, replyTo },
      { type: 'committed', room: 'general', seq: 3, post: { user: 'dice[bot]', text: '', ts: 1 } },
      { type: 'committed', room: 'general', seq: 4 },
      { type: 'head', room: 'general', seq: 4 },
      { type: 'unwatch', room: 'general', seq: 4 },
      { type: 'resume' },
      { type: 'pump' },
      { type: 'cursors', replyTo }
    ]) expect(refused(msg), JSON.stringify(msg)).to.equal('')
  })

  it('should refuse a malformed one naming the field', () => {
    expect(refused({ type: 'watch', room: 'General', from: 0, replyTo })).to.match(/^post-hooks message watch: room: expected a room name/)
    expect(refused({ type: 'watch', room: 'general', from: -1, replyTo })).to.match(/from: expected an integer from 0/)
    expect(refused({ type: 'committed', room: 'general', seq: 0 })).to.match(/seq: expected an integer from 1/)
    expect(refused({ type: 'committed', room: 'general', seq: 1, post: { user: 'a', text: 'x' } })).to.match(/post\.ts: expected a finite number/)
    expect(refused({ type: 'cursors' })).to.match(/replyTo: expected a reply address/)
    expect(refused({ type: 'tick' })).to.equal('post-hooks message: unknown type "tick"; expected one of watch, committed, head, unwatch, resume, pump, cursors')
  })

  it('should throw nothing but InvalidMessageError, whatever arrives', () => {
    onlyRefusals(checkPostHooksMsg, postHooksMessage(), { runs: 2000, minPassed: 100, classes: [InvalidMessageError] })
  })

  it('should read a cursor of a room named like a property of every object as not watched', () => {
    expect(notedCursor({ rooms: {} }, 'constructor')).to.equal(undefined)
    expect(notedCursor({ rooms: { constructor: 3 } }, 'constructor')).to.equal(3)
  })

  it('should have the entity handle every message its check passes without crashing, and refuse the rest before it sees them', async function () {
    this.timeout(120_000)
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    const system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    const plugins: RoomPlugins = {
      view: () => ({ commands: new Map(), beforePost: [], afterPost: ['audit'] }),
      request: async () => ({}),
      record: () => undefined
    }
    try {
      system.registerEntity(postHooks({ plugins }))
      system.registerEntity(chatRoomType({ plugins }))
      system.registerEntity(roomDirectory)
      await handlesWhatItsCheckPasses(system, POST_HOOKS as EntityTypeKey<unknown>, checkPostHooksMsg, postHooksMessage(), (run) => `p${run}`, (replyTo) => ({ type: 'cursors', replyTo }))
    } finally {
      await system.terminate()
      await store.close()
      await dir.remove()
    }
  })
})
