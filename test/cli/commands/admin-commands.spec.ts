import { expect } from 'chai'
import { Command } from 'commander'
import { adminCommands } from '../../../cli/commands/admin-commands.ts'
import { processIo } from '../../../cli/cli-io.ts'
import { AdminCli } from '../../helpers/admin-cli.ts'

/** The subcommands of `plexi admin`, in the order its help has always listed them. */
const ORDER = ['users', 'rooms', 'retention', 'tokens', 'audit', 'cluster', 'nodes', 'top', 'actors', 'partitions', 'repair', 'scrub', 'storage', 'jobs', 'migrate', 'drain', 'decommission', 'backup', 'restore', 'roles', 'models', 'plugins', 'mcp-servers']

describe('adminCommands', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should hold every resource\'s commands, each listed once by plexi admin --help (under its heading: admin-help.ts)', async () => {
    expect(adminCommands(processIo()).commands.map((c: Command) => c.name())).to.deep.equal(ORDER)
    const help = adminCommands(processIo()).helpInformation()
    const listed = help.split('\n').map((l) => /^ {2}([a-z][a-z-]*)\b/.exec(l)?.[1]).filter((n) => n !== undefined && n !== 'help')
    expect([...listed].sort()).to.deep.equal([...ORDER].sort())
  })

  it('should take the connection and output flags before the subcommand or after it', async () => {
    const before = await cli.runBare('admin', '--admin-addr', cli.endpoint, '--admin-token', 'admin-token-for-tests-0123456789', '--json', 'nodes')
    const after = await cli.runBare('admin', 'nodes', '--json', '--admin-addr', cli.endpoint, '--admin-token', 'admin-token-for-tests-0123456789')
    expect(before.code).to.equal(0)
    expect(JSON.parse(before.stdout)).to.deep.equal(JSON.parse(after.stdout))
    expect((await cli.runBare('admin', 'nodes', '--admin-addr', cli.endpoint, '--admin-token', 'wrong')).code).to.equal(1)
  })
})
