import { expect } from 'chai'
import { runCli, startNodeProcess } from '../../helpers/node-process.ts'
import type { NodeProcess } from '../../helpers/node-process.ts'
import { plexiInProcess } from '../../helpers/plexi-in-process.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('chatCommands', function () {
  this.timeout(60_000)

  it('should name the command meant when a chat subcommand is misspelt, or list them', async () => {
    for (const [args, meant] of [[['chat', 'sned', 'hi'], /unknown command 'sned' for plexi chat; did you mean 'send'\?/], [['chat', 'sned', '--room', 'r', 'hi'], /did you mean 'send'\?/],
      [['chat', 'blah'], /the commands are send, history, search, or none to chat interactively/]] as const) {
      const result = await plexiInProcess([...args])
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr, args.join(' ')).to.match(meant)
    }
  })

  it('should refuse a bad room, client id or history bound before it connects, naming the flag', async () => {
    for (const [args, message] of [
      [['send', '--room', 'Bad Room', 'x'], /--room: "Bad Room" is not a room name/],
      [['send', '--room', 'r', '--client-id', 'has space', 'x'], /--client-id: "has space" is not a client id/],
      [['history', '--room', 'r', '--limit', '0'], /--limit: expected an integer from 1 to 1000, got "0"/],
      [['history', '--room', 'r', '--after', 'x'], /--after: expected an integer/]
    ] as const) {
      const result = await plexiInProcess(['chat', ...args, '--addr', '127.0.0.1:1', '--token', 't'])
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr, args.join(' ')).to.match(message)
    }
  })

  describe('against a node', () => {
    let dir: { path: string, remove: () => Promise<void> }
    let node: NodeProcess
    const chat = (args: string[]) => runCli(['chat', ...args, '--addr', node.grpc, '--data-dir', dir.path])

    before(async () => {
      dir = await tempDir()
      node = await startNodeProcess(dir.path, ['--role', 'chat,storage'])
      const added = await runCli(['admin', 'users', 'add', 'cat', '--admin-addr', node.admin, '--data-dir', dir.path])
      expect(added.code, added.stderr).to.equal(0)
    })
    after(async () => {
      await node?.stop()
      await dir?.remove()
    })

    it('should post a message once however often it is sent with the same client id, and print its history in order', async () => {
      const first = await chat(['send', '--room', 'cmds', 'one', '--json'])
      expect(first.code, first.stderr).to.equal(0)
      const ack = JSON.parse(first.stdout) as { room: string, seq: number, ts: number }
      expect(ack).to.include({ room: 'cmds' })
      const once = await chat(['send', '--room', 'cmds', 'two', '--client-id', 'cmds-two', '--json'])
      const again = await chat(['send', '--room', 'cmds', 'two', '--client-id', 'cmds-two', '--json'])
      expect(JSON.parse(again.stdout)).to.deep.equal(JSON.parse(once.stdout))
      const human = await chat(['send', '--room', 'cmds', 'three'])
      expect(human.stdout).to.match(/^sent to cmds as #\d+ at \d{4}-\d\d-\d\dT/)
      const history = JSON.parse((await chat(['history', '--room', 'cmds', '--json'])).stdout) as Array<{ seq: number, user: string, text: string, kind: string }>
      const messages = history.filter((m) => m.kind === 'message')
      expect(messages.map((m) => [m.user, m.text])).to.deep.equal([['cat', 'one'], ['cat', 'two'], ['cat', 'three']])
      const after = JSON.parse((await chat(['history', '--room', 'cmds', '--after', String(ack.seq), '--limit', '1', '--json'])).stdout) as Array<{ text: string }>
      expect(after.map((m) => m.text)).to.deep.equal(['two'])
      const table = await chat(['history', '--room', 'cmds'])
      expect(table.stdout).to.match(/^#\d+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d cat: one$/m)
    })
  })
})
