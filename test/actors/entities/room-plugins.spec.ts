import { expect } from 'chai'
import { ActorSystem, NO_ROOM_PLUGINS, USERS, USER_DIRECTORY_KEY, botUserName, checkRoomMsg, userDirectory } from '../../../actors/index.ts'
import { LevelStore, UserAccounts, openLocalJournal } from '../../../node/index.ts'
import { SOURCE_NAME_PATTERN, isUserName, kindOf } from '../../../protocols/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('room plugins', () => {
  it('should name a plugin\'s bot <plugin>[bot], a name no user can have: refused by the user name rule, the user directory and the accounts', async () => {
    expect(botUserName('dice')).to.equal('dice[bot]')
    // every plugin name gives a bot name that is no user name
    for (const plugin of ['a', 'dice', 'mod-1', 'x'.repeat(24)]) {
      expect(new RegExp(SOURCE_NAME_PATTERN).test(plugin), plugin).to.equal(true)
      expect(isUserName(botUserName(plugin)), plugin).to.equal(false)
    }
    expect(() => { checkRoomMsg({ type: 'post', user: 'dice[bot]', text: 'I am a bot', replyTo: { askId: '1', node: 'n' } }) }).to.throw(/user: expected a user name/)
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    const system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    try {
      system.registerEntity(userDirectory)
      const added = await system.entity(USERS, USER_DIRECTORY_KEY).ask((replyTo) => ({ type: 'add', name: 'dice[bot]', tokenHash: 'a'.repeat(64), replyTo })).then(() => undefined, (e: unknown) => e)
      expect(kindOf(added)).to.equal('invalid')
      const accounts = await new UserAccounts(system).add('dice[bot]').then(() => undefined, (e: unknown) => e as Error)
      expect(accounts?.message).to.match(/user name/)
    } finally {
      await system.terminate()
      await store.close()
      await dir.remove()
    }
  })

  it('should offer nothing on a node without plugins, and refuse any request to one', async () => {
    expect(NO_ROOM_PLUGINS.view().commands.size).to.equal(0)
    expect(NO_ROOM_PLUGINS.view().beforePost).to.deep.equal([])
    expect(NO_ROOM_PLUGINS.view().afterPost).to.deep.equal([])
    const err = await NO_ROOM_PLUGINS.request('dice', 'plexi/command', { room: 'r', user: 'u', command: 'roll', args: '' }, 100).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.message).to.equal('no plugin "dice" runs on this node')
    NO_ROOM_PLUGINS.record({ hook: 'command', plugin: 'dice', outcome: 'answered' })
  })
})
