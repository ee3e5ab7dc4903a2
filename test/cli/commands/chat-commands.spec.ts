import { expect } from 'chai'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli, startNodeProcess } from '../../helpers/node-process.ts'
import type { NodeProcess } from '../../helpers/node-process.ts'
import { plexiInProcess } from '../../helpers/plexi-in-process.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('chatCommands', function () {
  this.timeout(60_000)

  it('should show chatting in a room, its main use, in its help beside the commands', async () => {
    const help = await plexiInProcess(['chat', '--help'])
    expect(help.code).to.equal(0)
    expect(help.stdout).to.match(/^Usage: plexi chat --room ROOM \[options\]/)
    expect(help.stdout).to.include('plexi chat --user bob --room general   join a room')
    expect(help.stdout).to.include('echo hi | plexi chat send --room general -')
  })

  it('should name the command meant when a chat subcommand is misspelt, or list them', async () => {
    for (const [args, meant] of [[['chat', 'sned', 'hi'], /unknown command 'sned' for plexi chat; did you mean 'send'\?/], [['chat', 'sned', '--room', 'r', 'hi'], /did you mean 'send'\?/],
      [['chat', 'blah'], /the commands are send, history, redact, export, import, search, or none to chat interactively/]] as const) {
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
      [['history', '--room', 'r', '--after', 'x'], /--after: expected an integer/],
      [['redact', '--room', 'r', '0'], /SEQ: expected an integer from 1/]
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

    it('should read the text from stdin when it is -, dropping one trailing newline, and refuse an empty stdin sending nothing', async () => {
      const piped = await runCli(['chat', 'send', '--room', 'piped', '-', '--addr', node.grpc, '--data-dir', dir.path, '--json'], { input: 'two lines\nfrom a pipe\n' })
      expect(piped.code, piped.stderr).to.equal(0)
      const literal = await chat(['send', '--room', 'piped', 'a - in a sentence'])
      expect(literal.code, literal.stderr).to.equal(0)
      const empty = await runCli(['chat', 'send', '--room', 'piped', '-', '--addr', node.grpc, '--data-dir', dir.path], { input: '\n' })
      expect(empty.code).to.equal(2)
      expect(empty.stderr).to.include('stdin: no text to send')
      const history = JSON.parse((await chat(['history', '--room', 'piped', '--json'])).stdout) as Array<{ text: string, kind: string }>
      expect(history.filter((m) => m.kind === 'message').map((m) => m.text)).to.deep.equal(['two lines\nfrom a pipe', 'a - in a sentence'])
    })

    it('should redact the user\'s own post, show it redacted in history, and answer already the second time', async () => {
      const sent = JSON.parse((await chat(['send', '--room', 'oops', 'my password is hunter2', '--json'])).stdout) as { seq: number }
      const redacted = await chat(['redact', '--room', 'oops', String(sent.seq), '--json'])
      expect(redacted.code, redacted.stderr).to.equal(0)
      expect(JSON.parse(redacted.stdout)).to.include({ room: 'oops', seq: sent.seq, already: false })
      const history = JSON.parse((await chat(['history', '--room', 'oops', '--json'])).stdout) as Array<{ seq: number, text: string, kind: string, redacted?: boolean, redacts?: number }>
      expect(history.find((m) => m.seq === sent.seq)).to.include({ text: '', redacted: true })
      expect(history.find((m) => m.kind === 'redaction')).to.include({ redacts: sent.seq, text: '' })
      expect(JSON.stringify(history)).not.to.include('hunter2')
      expect((await chat(['history', '--room', 'oops'])).stdout).to.match(new RegExp(`^#${sent.seq} .* cat: \\(redacted\\)$`, 'm'))
      expect((await chat(['redact', '--room', 'oops', String(sent.seq)])).stdout).to.equal(`#${sent.seq} in oops was redacted already\n`)
      const notFound = await chat(['redact', '--room', 'oops', '999'])
      expect(notFound.code).to.equal(1)
      expect(notFound.stderr).to.match(/holds no seq 999/)
    })

    it('should export a room to a file, import it into another once (a dry run first), and export everything of a user', async () => {
      for (const text of ['a', 'b', 'c']) expect((await chat(['send', '--room', 'origin', text])).code).to.equal(0)
      const file = join(dir.path, 'origin.json')
      const exported = await chat(['export', '--room', 'origin', '--out', file])
      expect(exported.code, exported.stderr).to.equal(0)
      expect(exported.stderr).to.match(/exported 3 records \(0\.0 MiB\) to .*origin\.json/)
      expect(JSON.parse(await readFile(file, 'utf8'))).to.deep.include({ format: 'plexi-export/1', kind: 'room', name: 'origin', from: 1, to: 3 })
      const dry = await chat(['import', '--room', 'copy', file, '--dry-run'])
      expect(dry.stdout).to.equal('dry run: room copy would add 3 of 3 records (source seqs 1 to 3); 0 already imported, 0 add nothing (joins, leaves, redactions)\n')
      expect(JSON.parse((await chat(['import', '--room', 'copy', file, '--json'])).stdout)).to.deep.include({ added: 3, skipped: 0 })
      expect(JSON.parse((await chat(['import', '--room', 'copy', file, '--json'])).stdout)).to.deep.include({ added: 0, skipped: 3 })
      const copied = JSON.parse((await chat(['history', '--room', 'copy', '--json'])).stdout) as Array<{ text: string, importedFrom?: { user: string, seq: number } }>
      expect(copied.map((m) => [m.text, m.importedFrom?.user, m.importedFrom?.seq])).to.deep.equal([['a', 'cat', 1], ['b', 'cat', 2], ['c', 'cat', 3]])
      expect((await chat(['history', '--room', 'copy'])).stdout).to.match(/^#1 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d cat \(imported: cat, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\): a$/m)
      expect((await chat(['history', '--room', 'origin', '--json'])).stdout).to.not.include('importedFrom')
      const md = await chat(['export', '--room', 'origin', '--format', 'md'])
      expect(md.stdout).to.match(/^# Room origin\n/)
      expect((await chat(['export', '--room', 'origin', '--format', 'pdf'])).stderr).to.match(/--format: expected one of json, ndjson, md, got "pdf"/)
      const bad = join(dir.path, 'bad.ndjson')
      await writeFile(bad, (await chat(['export', '--room', 'origin', '--format', 'ndjson'])).stdout.replace('"seq":2', '"seq":"2"'))
      const refused = await chat(['import', '--room', 'other', bad])
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.match(/record 2: seq: expected an integer from 1, got "2"; nothing was imported/)
      const user = await runCli(['admin', 'users', 'export', 'cat', '--format', 'ndjson', '--admin-addr', node.admin, '--data-dir', dir.path])
      expect(user.code, user.stderr).to.equal(0)
      const lines = user.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string, room?: string })
      expect(lines[0]).to.include({ kind: 'user', name: 'cat' })
      expect(lines.some((l) => l.room === 'origin')).to.equal(true)
    })
  })
})
