import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, useNodeProcess } from '../helpers/node-process.ts'
import type { CliResult } from '../helpers/node-process.ts'
import { waitFor } from '../helpers/wait-for.ts'

const README = fileURLToPath(new URL('../../README.md', import.meta.url))

/** The command lines of the README's quick start, as written (comments cut off). */
async function quickStart (): Promise<string[]> {
  const text = await readFile(README, 'utf8')
  const section = text.slice(text.indexOf('## Quick start'), text.indexOf('\n## ', text.indexOf('## Quick start') + 1))
  const blocks = [...section.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/\s+#\s.*$/, '').trim()).filter((l) => l.length > 0)
}

/** Words of a command line as a POSIX shell splits them (double and single quotes). */
function words (line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '')
}

describe('the README quick start, line by line, on a fresh node (real processes)', function () {
  this.timeout(180_000)
  // `npm start` in a fresh checkout: every role, data in ./data (the lines run in that folder)
  const fixture = useNodeProcess(['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '16'], (dir) => join(dir, 'data'))

  it('should run every line as written, each doing what the README says', async () => {
    const { node } = fixture
    const dir = { path: fixture.dir }
    const lines = await quickStart()
    expect(lines[0]).to.equal('npm install && npm start')
    const results = new Map<string, CliResult>()
    for (const line of lines.slice(1)) {
      // `source <(npx plexi ...)`: what the command prints, sourced in a real bash
      const sourced = /^source <\((npx plexi [^)]*)\)$/.exec(line)?.[1]
      if (sourced !== undefined) {
        const script = await runCli(words(sourced).slice(2), { cwd: dir.path })
        expect(script.code, `${line}\n${script.stderr}`).to.equal(0)
        const file = join(dir.path, 'plexi-completion.bash')
        await writeFile(file, script.stdout)
        const shell = spawnSync('bash', ['-c', `source ${JSON.stringify(file)} && complete -p plexi`], { encoding: 'utf8', timeout: 10_000 })
        expect(shell.status, `${line}\n${shell.stderr}`).to.equal(0)
        expect(shell.stdout, line).to.match(/^complete .* plexi$/m)
        continue
      }
      const [program, ...args] = words(line)
      if (program === 'curl') {
        // the README's node listens on the default port; this one on a free port
        const url = (args[0] ?? '').replace('127.0.0.1:7402', node.admin)
        const res = await fetch(`http://${url}`)
        expect(res.status, line).to.equal(200)
        expect(await res.text(), line).to.match(/^plexi_chat_messages_total \d+$/m)
        continue
      }
      expect([program, args[0]], line).to.deep.equal(['npx', 'plexi'])
      // the lines talk to the default addresses; this node's are given the way a user would
      const result = await runCli(args.slice(1), {
        cwd: dir.path,
        env: { PLEXI_ADDR: node.grpc, PLEXI_ADMIN_ADDR: node.admin },
        // the interactive client reads what the user types; the end of input ends it
        ...(args[2] !== 'send' && args[2] !== 'history' && args[1] === 'chat' && { input: 'typed in the interactive client\n' }),
        timeout: 90_000
      })
      expect(result.code, `${line}\n${result.stderr}`).to.equal(0)
      results.set(line, result)
    }
    // what the README says each prints
    expect(results.get('npx plexi admin users add alice')?.stdout).to.match(/user alice created; token \(shown once\):\nplxu_/)
    const history = JSON.parse(results.get('npx plexi chat history --room general --json')?.stdout ?? '') as Array<{ seq: number, user: string, text: string, ts: number }>
    expect(history.map((m) => Object.keys(m).sort())).to.deep.include(['kind', 'seq', 'text', 'ts', 'user'])
    expect(history.map((m) => m.seq)).to.deep.equal(history.map((_m, i) => i + 1))
    expect(history.filter((m) => m.text !== '').map((m) => [m.user, m.text])).to.deep.equal([['alice', 'typed in the interactive client'], ['bob', 'hi']])
    expect(results.get('npx plexi agent ask --user alice "hello"')?.stdout.trim().length).to.be.greaterThan(0)
    expect(results.get('npx plexi admin models ls')?.stdout).to.match(/plexi-tiny-f16/)
    expect(JSON.parse(results.get('npx plexi admin cluster --json')?.stdout ?? '')).to.include.all.keys('self', 'members')
    expect((JSON.parse(results.get('npx plexi admin users ls --json')?.stdout ?? '') as Array<{ name: string }>).map((u) => u.name)).to.deep.equal(['alice', 'bob'])
    // and the @agent post is answered in the room by "alice's agent"
    await waitFor(async () => {
      const again = await runCli(['chat', 'history', '--room', 'general', '--json'], { cwd: dir.path, env: { PLEXI_ADDR: node.grpc } })
      return (JSON.parse(again.stdout) as Array<{ user: string }>).some((m) => m.user === 'alice\'s agent')
    }, 'the agent\'s answer in the room', { timeout: 60_000, interval: 200 })
  })
})
