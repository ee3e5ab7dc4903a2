import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { promisify } from 'node:util'
import type { Command } from 'commander'
import type { CliIo } from '../../cli/cli-io.ts'
import { completionScript } from '../../cli/completion-script.ts'
import { completeCommandTree } from '../../cli/commands/index.ts'
import { main, plexiProgram } from '../../cli/main.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const run = promisify(execFile)

function quietIo (): CliIo {
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: process.cwd() }
}

/** The real command tree, its lazy commands' flags added (as `plexi completion` adds them). */
async function fullProgram (): Promise<Command> {
  const program = await plexiProgram(quietIo())
  await completeCommandTree(program)
  return program
}

/** Whether `command` runs here (`--version` answers). */
async function installed (command: string): Promise<boolean> {
  return await run(command, ['--version'], { timeout: 5_000 }).then(() => true, () => false)
}

/** Every command of the tree with the words that lead to it (the program's own: []). */
function commandPaths (command: Command, path: string[] = []): Array<{ path: string[], command: Command }> {
  const help = command.createHelp()
  return [{ path, command }, ...help.visibleCommands(command).flatMap((sub) => commandPaths(sub, [...path, sub.name()]))]
}

/** The completion script of the real command tree, and bash running it as bash would on TAB. */
describe('completionScript', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let bashScript: string
  before(async () => {
    dir = await tempDir()
    bashScript = join(dir.path, 'plexi.bash')
    await writeFile(bashScript, completionScript(await fullProgram(), 'bash'))
  })
  after(async () => { await dir.remove() })

  /** COMPREPLY when bash completes the last of `words` (COMP_WORDS as bash splits a line, the
   * cursor in the last word). */
  async function complete (...words: string[]): Promise<string[]> {
    const { stdout } = await run('bash', ['--norc', '--noprofile', '-c',
      'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _plexi_completion; printf "%s\\n" "${COMPREPLY[@]}"', bashScript, ...words], { timeout: 10_000 })
    return stdout.split('\n').filter((line) => line !== '')
  }

  it('should complete commands, subcommands and flags in a real bash', async () => {
    expect(await complete('plexi', 'ad')).to.deep.equal(['admin'])
    expect(await complete('plexi', '')).to.include.members(['node', 'config', 'cluster', 'admin', 'chat', 'agent', 'model', 'backup', 'completion', 'help'])
    expect(await complete('plexi', 'admin', 'backup', '')).to.have.members(['create', 'ls', 'show', 'rm', 'verify', 'sweep', 'help'])
    expect(await complete('plexi', 'admin', 't')).to.deep.equal(['tokens', 'top'])
    expect(await complete('plexi', 'admin', 'top')).to.deep.equal(['top'])
    expect(await complete('plexi', 'node', 'start', '--ro')).to.deep.equal(['--role'])
    // a boolean's --no- twin, hidden from the help (named in its line), completes
    expect(await complete('plexi', 'node', 'start', '--no-sea')).to.deep.equal(['--no-search'])
    expect(await complete('plexi', 'completion', '')).to.deep.equal(['bash', 'zsh'])
    expect(await complete('plexi', 'help', 'ad')).to.deep.equal(['admin'])
  })

  it('should complete npx plexi as plexi, and leave npx with anything else to bash\'s default', async () => {
    const npx = async (...words: string[]): Promise<{ reply: string[], spec: string }> => {
      const { stdout } = await run('bash', ['--norc', '--noprofile', '-c',
        'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _plexi_npx_completion; printf "%s\\n" "${COMPREPLY[@]}"; echo "spec: $(complete -p npx)"', bashScript, ...words], { timeout: 10_000 })
      const lines = stdout.split('\n').filter((line) => line !== '')
      return { reply: lines.filter((l) => !l.startsWith('spec: ')), spec: lines.find((l) => l.startsWith('spec: ')) ?? '' }
    }
    expect((await npx('npx', 'plexi', 'ad')).reply).to.deep.equal(['admin'])
    expect((await npx('npx', 'plexi', 'admin', 'backup', '')).reply).to.have.members(['create', 'ls', 'show', 'rm', 'verify', 'sweep', 'help'])
    expect((await npx('npx', 'plexi', 'node', 'start', '--ro')).reply).to.deep.equal(['--role'])
    expect((await npx('npx', 'pl')).reply).to.deep.equal(['plexi'])
    // another package: nothing of ours, bash's default (file names) instead
    expect((await npx('npx', 'other', '')).reply).to.deep.equal([])
    expect((await npx('npx', 'plexi', '')).spec).to.equal('spec: complete -o default -F _plexi_npx_completion npx')
    // plexi's own completion is as it was
    expect(await complete('plexi', 'node', 'start', '--ro')).to.deep.equal(['--role'])
  })

  it('should complete the flags of the command the words lead to, after its arguments and other flags', async () => {
    const add = await complete('plexi', 'admin', 'users', 'add', 'bob', '--')
    expect(add).to.include.members(['--save', '--no-save', '--default', '--admin-addr', '--admin-token', '--data-dir', '--json', '--help'])
    expect(add).to.not.include('--role')
    expect(await complete('plexi', 'admin', 'jobs', '--watch', '--k')).to.deep.equal(['--kind'])
    expect(await complete('plexi', 'admin', 'top', '--interval', '500', '--o')).to.deep.equal(['--once'])
    // a command that takes no more arguments offers its flags
    expect(await complete('plexi', 'admin', 'cluster', '')).to.include.members(['--admin-addr', '--json'])
    // a free-text argument (a user's name) is not guessed at
    expect(await complete('plexi', 'admin', 'users', 'add', '')).to.deep.equal([])
  })

  it('should skip the values of flags, even where bash splits them at ":" and "=", and offer nothing inside one', async () => {
    // `plexi admin --admin-addr 127.0.0.1:7402 top<TAB>`: bash splits the address at its colon
    expect(await complete('plexi', 'admin', '--admin-addr', '127.0.0.1', ':', '7402', 'top')).to.deep.equal(['top'])
    expect(await complete('plexi', 'admin', '--admin-addr=127.0.0.1', ':', '7402', 'cluster', '--j')).to.deep.equal(['--json'])
    // a value that is not a command: `plexi admin --data-dir admin <TAB>` is at the admin group still
    expect(await complete('plexi', 'admin', '--data-dir', 'users', 'us')).to.deep.equal(['users'])
    expect(await complete('plexi', 'admin', '--admin-addr', '127.0.0.1', ':')).to.deep.equal([])
    expect(await complete('plexi', 'admin', '--admin-addr', '127.0.0.1', ':', '74')).to.deep.equal([])
  })

  it('should complete file and directory names for the flags that take them', async () => {
    await writeFile(join(dir.path, 'model.gguf'), '')
    await mkdir(join(dir.path, 'data-one'))
    await writeFile(join(dir.path, 'data-file'), '')
    expect(await complete('plexi', 'model', 'gen-tiny', '--out', join(dir.path, 'mod'))).to.deep.equal([join(dir.path, 'model.gguf')])
    // a file is no data dir
    expect(await complete('plexi', 'node', 'start', '--data-dir', join(dir.path, 'data-'))).to.deep.equal([join(dir.path, 'data-one')])
    expect(await complete('plexi', 'node', 'start', '--config', join(dir.path, 'data-'))).to.have.members([join(dir.path, 'data-one'), join(dir.path, 'data-file')])
  })

  it('should offer every command of the program at the words that lead to it, so that the script cannot go stale', async () => {
    const paths = commandPaths(await fullProgram()).filter((p) => p.path.length > 0)
    expect(paths.length).to.be.greaterThan(50)
    for (const { path, command } of paths) {
      expect(await complete('plexi', ...path.slice(0, -1), ''), path.join(' ')).to.include(command.name())
    }
    // and every flag of a command with flags of its own
    const top = commandPaths(await fullProgram()).find((p) => p.path.join(' ') === 'admin top')
    const flags = top?.command.options.map((o) => o.long) ?? []
    expect(flags).to.include.members(['--interval', '--once', '--admin-addr'])
    expect(await complete('plexi', 'admin', 'top', '--')).to.include.members(flags as string[])
  })

  it('should print the script with plexi completion bash, and refuse a shell it does not know with a usage error naming bash and zsh', async () => {
    const out = new PassThrough()
    const err = new PassThrough()
    let printed = ''
    let said = ''
    out.on('data', (chunk: Buffer) => { printed += chunk.toString() })
    err.on('data', (chunk: Buffer) => { said += chunk.toString() })
    const io: CliIo = { ...quietIo(), stdout: out, stderr: err }
    expect(await main(['completion', 'bash'], io)).to.equal(0)
    expect(printed).to.include('complete -F _plexi_completion plexi')
    expect(await main(['completion', 'fish'], io)).to.equal(2)
    expect(said).to.equal('plexi: completion: expected a shell, bash or zsh, got "fish"\n')
  })

  describe('zsh', () => {
    let zshScript: string
    before(async () => {
      zshScript = join(dir.path, '_plexi')
      await writeFile(zshScript, completionScript(await fullProgram(), 'zsh'))
    })

    it('should name every command of the program in the zsh script, as a #compdef file that registers itself when sourced', async () => {
      const text = completionScript(await fullProgram(), 'zsh')
      expect(text.startsWith('#compdef plexi npx\n')).to.equal(true)
      expect(text).to.include('compdef _plexi plexi')
      for (const { path } of commandPaths(await fullProgram()).filter((p) => p.path.length > 0)) {
        expect(text, path.join(' ')).to.include(`' ${path.join(' ')}') _plexi_next=`)
      }
    })

    it('should be a script zsh reads, and complete in a real zsh (where zsh is installed)', async function () {
      if (!await installed('zsh')) {
        // no zsh here (it is not one of the project's dependencies): the test above is what can be checked
        this.skip()
      }
      await run('zsh', ['-n', zshScript], { timeout: 10_000 })
      // a real completion: an interactive zsh on a pseudo-terminal (zsh's own zpty) with compinit,
      // the script sourced as the help says, TAB typed after each line; each read waits for the
      // completed line (bounded by the timeout of the whole run)
      const home = join(dir.path, 'zdotdir')
      await mkdir(home, { recursive: true })
      await writeFile(join(home, '.zshrc'), `PS1='READY> '\nautoload -Uz compinit && compinit -u -d ${JSON.stringify(join(home, '.zcompdump'))}\nsource ${JSON.stringify(zshScript)}\nplexi () { : }\n`)
      const cases: Array<[string, string]> = [
        ['plexi ad', 'plexi admin'], ['plexi admin backup cr', 'plexi admin backup create'], ['plexi node start --ro', 'plexi node start --role'],
        ['plexi admin top --inter', 'plexi admin top --interval'], ['plexi completion z', 'plexi completion zsh'],
        ['plexi admin --admin-addr 127.0.0.1:7402 aud', 'plexi admin --admin-addr 127.0.0.1:7402 audit'],
        ['npx plexi admin backup cr', 'npx plexi admin backup create']
      ]
      const driver = [
        'zmodload zsh/zpty || exit 3',
        `zpty z 'ZDOTDIR=${home} zsh -i'`,
        'zpty -r z out "*READY> *" || exit 4',
        ...cases.flatMap(([typed, completed]) => [
          `zpty -w -n z ${quoteZsh(`${typed}\t`)}`,
          `zpty -r z out ${quoteZsh(`*${completed}*`)} || exit 5`,
          `print -r -- ${quoteZsh(`completed: ${completed}`)}`,
          // Ctrl-U: the line is empty again
          "zpty -w -n z $'\\C-u'"
        ]),
        'zpty -d z'
      ].join('\n')
      const { stdout } = await run('zsh', ['-f', '-c', driver], { timeout: 30_000 })
      expect(stdout.trim().split('\n')).to.deep.equal(cases.map(([, completed]) => `completed: ${completed}`))
    })
  })
})

function quoteZsh (text: string): string {
  return `$'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\t', '\\t')}'`
}
