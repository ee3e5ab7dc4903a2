import { expect } from 'chai'
import { EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, main, plexiProgram } from '../../cli/main.ts'
import { completeCommandTree } from '../../cli/commands/index.ts'
import { LazyCommand } from '../../cli/commands/lazy-command.ts'
import { runCli } from '../helpers/node-process.ts'
import { capturedIo, plexiInProcess } from '../helpers/plexi-in-process.ts'

describe('main', function () {
  this.timeout(30_000)

  it('should show help on every command, and exit 2 on an unknown one', async () => {
    for (const args of [['--help'], ['node', 'start', '--help'], ['admin', 'users', 'add', '--help'], ['admin', 'jobs', '--help'], ['model', 'gen-tiny', '--help'], ['chat', 'send', '--help'], ['admin', 'top', '--help'], ['completion', '--help']]) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).to.equal(0)
      expect(result.stdout).to.match(/^Usage: plexi/)
    }
    const unknown = await runCli(['frobnicate'])
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr).to.match(/unknown command 'frobnicate'/)
  })

  it('should suggest the command meant when an admin subcommand is misspelt', async () => {
    const result = await runCli(['admin', 'usres', 'ls'])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/unknown command 'usres'\n\(Did you mean users\?\)/)
  })

  it('should exit 0 for --version and --help, 2 for a usage error, 1 for a command that failed', async () => {
    expect([EXIT_OK, EXIT_RUNTIME, EXIT_USAGE]).to.deep.equal([0, 1, 2])
    const version = await plexiInProcess(['--version'])
    expect(version.code).to.equal(EXIT_OK)
    expect(version.stdout).to.match(/^\d+\.\d+\.\d+/)
    const usage = await plexiInProcess(['chat', 'history', '--room', 'Not A Room'])
    expect(usage).to.include({ code: EXIT_USAGE })
    expect(usage.stderr).to.match(/^plexi: --room: "Not A Room" is not a room name/)
    // the parser's own errors start as ours do, on the program and on any subcommand, and go to its io
    for (const [argv, message] of [[['--bogus'], "plexi: unknown option '--bogus'"], [['chat', 'send', 'hi'], "plexi: required option '--room <room>' not specified"], [['admin', 'users', 'ls', '--bogus'], "plexi: unknown option '--bogus'"]] as const) {
      const parsed = await plexiInProcess([...argv])
      expect(parsed.code, argv.join(' ')).to.equal(EXIT_USAGE)
      expect(parsed.stderr.split('\n')[0], argv.join(' ')).to.equal(message)
    }
    const failed = await plexiInProcess(['chat', 'history', '--room', 'general', '--addr', '127.0.0.1:1', '--token', 't'])
    expect(failed.code).to.equal(EXIT_RUNTIME)
    expect(failed.stderr).to.match(/^plexi: cannot reach a node at 127\.0\.0\.1:1/)
  })

  it('should build only the node\'s own command groups for a node\'s start, and every group otherwise', async () => {
    const names = async (argv: string[]): Promise<string[]> => (await plexiProgram(capturedIo(), argv)).commands.map((c) => c.name())
    expect(await names(['node', 'start', '--role', 'chat'])).to.deep.equal(['node', 'config', 'cluster'])
    expect(await names(['node', '--help'])).to.deep.equal(['node', 'config', 'cluster', 'admin', 'chat', 'agent', 'model', 'backup', 'tls', 'completion'])
    expect(await names([])).to.deep.equal(await names(['chat', 'send']))
  })

  it('should complete a lazy command\'s tree only when that command runs', async () => {
    const io = capturedIo()
    const program = await plexiProgram(io)
    const model = program.commands.find((c) => c.name() === 'model')
    expect(model).to.be.instanceOf(LazyCommand)
    const genTiny = model?.commands.find((c) => c.name() === 'gen-tiny')
    expect(genTiny?.options, 'not loaded yet').to.deep.equal([])
    await completeCommandTree(program)
    expect(genTiny?.options.map((o) => o.long)).to.include.members(['--out', '--quant', '--size', '--seed'])
    // through main: `plexi model --help` lists gen-tiny with its options
    const help = await runCli(['model', '--help'])
    expect(help.stdout).to.match(/gen-tiny \[options\]/)
    // `plexi help model` prints model's help without running it: the same
    expect((await runCli(['help', 'model'])).stdout).to.equal(help.stdout)
  })
})
