import { expect } from 'chai'
import { MAX_PENDING_COMMANDS, parseCommand } from '../../../actors/index.ts'
import type { ChatMessage, PostAck } from '../../../actors/index.ts'
import { kindOf } from '../../../protocols/index.ts'
import { RoomPluginRig } from '../../helpers/room-plugin-rig.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const lines = (messages: ChatMessage[]): Array<[number, string, string]> => messages.map((m) => [m.seq, m.user, m.text])

describe('room commands', () => {
  describe('parseCommand', () => {
    it('should read /<name> then the end or white space and the arguments, and nothing else', () => {
      expect(parseCommand('/roll 2d6')).to.deep.equal({ name: 'roll', args: '2d6' })
      expect(parseCommand('/roll')).to.deep.equal({ name: 'roll', args: '' })
      expect(parseCommand('/roll   two\nlines  ')).to.deep.equal({ name: 'roll', args: 'two\nlines' })
      expect(parseCommand('/to-do_1 x')).to.deep.equal({ name: 'to-do_1', args: 'x' })
      for (const text of ['roll', ' /roll', '/Roll', '/roll!', '//roll', '/ roll', '/', '/1roll', `/${'a'.repeat(33)}`]) {
        expect(parseCommand(text), text).to.equal(undefined)
      }
    })
  })

  describe('answered by the plugin as its bot', function () {
    this.timeout(60_000)
    let rig: RoomPluginRig
    beforeEach(async () => {
      rig = await RoomPluginRig.open()
      await rig.host.start('dice', { commands: ['echo', 'slow', 'mute', 'big', 'bad', 'fail', 'exit'] }, { callDeadlineMs: 1_000 })
    })
    afterEach(async () => { await rig.close() })

    const answered = async (room: string, count: number): Promise<ChatMessage[]> => {
      let all: ChatMessage[] = []
      await waitFor(async () => (all = await rig.history(room)).length >= count, `${count} messages in ${room}`, { timeout: 10_000 })
      return all
    }

    it('should post the command, then the answer as <plugin>[bot], each journaled with its seq, and keep both across a restart', async () => {
      const ack = await rig.post('general', 'alice', '/echo hello   world')
      expect(ack.seq).to.equal(1)
      const all = await answered('general', 2)
      expect(lines(all)).to.deep.equal([[1, 'alice', '/echo hello   world'], [2, 'dice[bot]', 'hello   world']])
      expect(all.every((m) => m.kind === 'message')).to.equal(true)
      const sent = await rig.host.logged('dice', 'plexi/command')
      expect(sent.map((r) => r.params)).to.deep.equal([{ room: 'general', user: 'alice', command: 'echo', args: 'hello   world' }])
      expect(await rig.metric('plexi_plugin_commands_total', { plugin: 'dice', outcome: 'answered' })).to.equal(1)
      await rig.restart()
      expect(lines(await rig.history('general'))).to.deep.equal(lines(all))
    })

    it('should post answers in the order the commands were posted, whichever plugin answer comes first', async () => {
      await rig.post('general', 'alice', '/slow 400 first')
      await rig.post('general', 'bob', '/echo second')
      await rig.post('general', 'carol', 'plain text in between')
      const all = await answered('general', 5)
      expect(lines(all)).to.deep.equal([
        [1, 'alice', '/slow 400 first'], [2, 'bob', '/echo second'], [3, 'carol', 'plain text in between'], [4, 'dice[bot]', 'first'], [5, 'dice[bot]', 'second']])
    })

    it('should post a short failure line as the bot when the plugin does not answer in its deadline, fails, answers nonsense or is down', async () => {
      await rig.post('r', 'alice', '/slow 5000 too late')
      await rig.post('r', 'alice', '/fail')
      await rig.post('r', 'alice', '/bad')
      await rig.post('r', 'alice', '/big')
      const all = await answered('r', 8)
      expect(lines(all.slice(4))).to.deep.equal([
        [5, 'dice[bot]', '(no answer to /slow: plugin dice did not answer plexi/command within 1000 ms)'],
        [6, 'dice[bot]', '(no answer to /fail: MCP error -32603: the dice fell off the table)'],
        [7, 'dice[bot]', '(no answer to /bad: plugin dice answered plexi/command with no text (a string))'],
        [8, 'dice[bot]', '(no answer to /big: plugin dice answered plexi/command with 1048577 bytes of text, over the limit of 1048576)']])
      expect(await rig.metric('plexi_plugin_commands_total', { plugin: 'dice', outcome: 'timeout' })).to.equal(1)
      expect(await rig.metric('plexi_plugin_commands_total', { plugin: 'dice', outcome: 'failed' })).to.equal(3)
      // a crash while answering, then a command while the plugin is down, then it is back
      await rig.post('r', 'alice', '/exit')
      const crashed = await answered('r', 10)
      expect(crashed[9]?.user).to.equal('dice[bot]')
      expect(crashed[9]?.text).to.match(/^\(no answer to \/exit: .+\)$/)
      await rig.host.kill('dice')
      await rig.post('r', 'alice', '/echo anyone?')
      expect((await answered('r', 12))[11]?.text).to.equal('(no answer to /echo: plugin dice is down)')
      await rig.host.restart('dice')
      await rig.post('r', 'alice', '/echo back')
      expect((await answered('r', 14))[13]?.text).to.equal('back')
    })

    it('should post nothing for an empty answer, and post an unknown command as plain text that no plugin answers', async () => {
      await rig.post('r', 'alice', '/mute')
      await rig.post('r', 'alice', '/nope 1 2')
      await rig.post('r', 'alice', '/echo last')
      const all = await answered('r', 4)
      expect(lines(all)).to.deep.equal([[1, 'alice', '/mute'], [2, 'alice', '/nope 1 2'], [3, 'alice', '/echo last'], [4, 'dice[bot]', 'last']])
      expect((await rig.host.logged('dice', 'plexi/command')).map((r) => r.params.command)).to.deep.equal(['mute', 'echo'])
    })

    it(`should refuse a command past ${MAX_PENDING_COMMANDS} waiting ones before storing it (RESOURCE_EXHAUSTED), and answer the others`, async () => {
      const acks: PostAck[] = []
      for (let i = 0; i < MAX_PENDING_COMMANDS; i++) acks.push(await rig.post('busy', 'alice', `/slow 300 ${i}`))
      const err = await rig.post('busy', 'alice', '/echo one too many').then(() => undefined, (e: unknown) => e as Error)
      expect(err?.name).to.equal('RoomBacklogError')
      expect(kindOf(err)).to.equal('exhausted')
      expect(err?.message).to.equal(`room busy waits for ${MAX_PENDING_COMMANDS} command answers already; try /echo again later`)
      const plain = await rig.post('busy', 'bob', 'plain text is not held')
      expect(plain.seq).to.equal(MAX_PENDING_COMMANDS + 1)
      const all = await answered('busy', 2 * MAX_PENDING_COMMANDS + 1)
      expect(all.filter((m) => m.user === 'dice[bot]').map((m) => m.text)).to.deep.equal(acks.map((_a, i) => String(i)))
      expect(all.some((m) => m.text === '/echo one too many')).to.equal(false)
    })

    it('should keep a room with answers to come busy (a stop waits for them), and post failure lines for those it cannot wait for', async () => {
      await rig.post('slow', 'alice', '/slow 300 in time')
      const settled = await rig.system.settleEntities(5_000, 1_000)
      expect(settled).to.deep.equal({ interrupted: 0, busy: 0 })
      expect(lines(await answered('slow', 2))).to.deep.equal([[1, 'alice', '/slow 300 in time'], [2, 'dice[bot]', 'in time']])
      await rig.post('slow', 'alice', '/slow 900 too late')
      const cut = await rig.system.settleEntities(50, 1_000)
      expect(cut.interrupted).to.equal(1)
      expect(lines((await answered('slow', 4)).slice(2))).to.deep.equal([
        [3, 'alice', '/slow 900 too late'], [4, 'dice[bot]', '(no answer to /slow: the room stopped on this node before the answer came)']])
    })
  })
})
