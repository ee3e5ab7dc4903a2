import { expect } from 'chai'
import { PassThrough } from 'node:stream'
import type { CliIo } from '../../cli/cli-io.ts'
import { InteractiveChat } from '../../cli/interactive-chat.ts'
import { NodeClient } from '../../cli/node-client.ts'
import { chatClient, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'

/** An io whose stdin holds `typed` (then ends, as a pipe does, unless `end` is false) and whose
 * stdout is kept. */
function typing (typed: string, end = true): { io: CliIo, out: () => string } {
  const stdout = new PassThrough()
  let out = ''
  stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const stdin = new PassThrough()
  if (end) stdin.end(typed)
  else stdin.write(typed)
  return { io: { stdout, stderr: new PassThrough(), stdin, env: {}, cwd: process.cwd() }, out: () => out }
}

describe('InteractiveChat', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess
  let token: string

  before(async () => {
    dir = await tempDir()
    node = await startNodeProcess(dir.path, ['--role', 'chat,storage'])
    const added = await runCli(['admin', 'users', 'add', 'ivy', '--json', '--no-save', '--admin-addr', node.admin, '--data-dir', dir.path])
    expect(added.code, added.stderr).to.equal(0)
    token = (JSON.parse(added.stdout) as { token: string }).token
  })
  after(async () => {
    await node?.stop()
    await dir?.remove()
  })

  it('should print the history, then live, post each typed line in order, answer /members, and end with the input', async () => {
    const other = chatClient(node.grpc, token)
    try {
      await other.call('Post', { room: 'typed', text: 'before you came', clientId: 'typed-1' })
    } finally {
      other.close()
    }
    const { io, out } = typing('first line\n\n/members\nsecond line\n')
    await InteractiveChat.run(io, new NodeClient(node.grpc, token), 'typed')
    expect(out()).to.match(/^#1 \d\d:\d\d:\d\d ivy: before you came$/m)
    expect(out()).to.match(/^#2 \d\d:\d\d:\d\d \* ivy joined$/m)
    expect(out()).to.include('--- members of typed: ivy ---')
    const check = chatClient(node.grpc, token)
    try {
      const { messages } = await check.call<{ messages: Array<{ text: string, kind: string }> }>('History', { room: 'typed', after: 0, limit: 100 })
      expect(messages.filter((m) => String(m.kind).toLowerCase() === 'message').map((m) => m.text)).to.deep.equal(['before you came', 'first line', 'second line'])
    } finally {
      check.close()
    }
  })

  it('should show a post redacted while it follows the room, live, as what happened', async () => {
    const other = chatClient(node.grpc, token)
    const { io, out } = typing('', false)
    const stdin = io.stdin as PassThrough
    const chat = InteractiveChat.run(io, new NodeClient(node.grpc, token), 'redacting')
    try {
      const posted = await other.call<{ seq: number }>('Post', { room: 'redacting', text: 'take this back' })
      const deadline = Date.now() + 20_000
      while (!out().includes('take this back') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      await other.call('Redact', { room: 'redacting', seq: posted.seq })
      while (!/\* ivy redacted #\d+$/m.test(out()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(out()).to.match(new RegExp(`^#\\d+ \\d\\d:\\d\\d:\\d\\d \\* ivy redacted #${posted.seq}$`, 'm'))
    } finally {
      other.close()
      stdin.end('/quit\n')
      await chat
    }
  })

  it('should end at /quit, once what was typed before it is posted, while the input stays open', async () => {
    const { io } = typing('kept\n/quit\n', false)
    await InteractiveChat.run(io, new NodeClient(node.grpc, token), 'quits')
    const check = chatClient(node.grpc, token)
    try {
      const { messages } = await check.call<{ messages: Array<{ text: string, kind: string }> }>('History', { room: 'quits', after: 0, limit: 100 })
      expect(messages.filter((m) => String(m.kind).toLowerCase() === 'message').map((m) => m.text)).to.deep.equal(['kept'])
    } finally {
      check.close()
    }
  })

  it('should fail with the node\'s refusal when the token is not one, joining nothing', async () => {
    const { io } = typing('x\n')
    const err = await InteractiveChat.run(io, new NodeClient(node.grpc, 'not-a-token'), 'typed').then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).to.equal('CliError')
    expect(err?.message).to.match(/^UNAUTHENTICATED/)
  })
})
