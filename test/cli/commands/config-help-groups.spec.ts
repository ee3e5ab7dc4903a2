import { expect } from 'chai'
import { CONFIG_SCHEMA } from '../../../config/index.ts'
import { CONFIG_HELP_GROUPS, configKeysInHelpOrder, helpGroupOf, ungroupedKeys } from '../../../cli/commands/config-help-groups.ts'
import { runCli } from '../../helpers/node-process.ts'

describe('config-help-groups', () => {
  it('should put every configuration key in exactly one group, and name no key the schema lacks', () => {
    expect(ungroupedKeys()).to.deep.equal({ missing: [], unknown: [] })
    const named = CONFIG_HELP_GROUPS.flatMap(([, keys]) => keys)
    expect(new Set(named).size, 'no key twice').to.equal(named.length)
    expect(configKeysInHelpOrder().map((s) => s.key)).to.deep.equal(named)
    expect(configKeysInHelpOrder()).to.have.length(CONFIG_SCHEMA.length)
    expect(helpGroupOf('role')).to.equal('Start here:')
    expect(helpGroupOf('no-such-key')).to.equal('Other:')
  })

  it('should list node start\'s flags under the headings in order, what a new node needs first', async () => {
    const help = await runCli(['node', 'start', '--help'])
    expect(help.code).to.equal(0)
    const headings = help.stdout.split('\n').filter((l) => /^[A-Z].*:$/.test(l))
    expect(headings).to.deep.equal(CONFIG_HELP_GROUPS.map(([heading]) => heading))
    const start = help.stdout.slice(help.stdout.indexOf('Start here:'), help.stdout.indexOf('Cluster'))
    for (const flag of ['--role', '--data-dir', '--grpc-listen', '--admin-listen', '--config', '--help']) expect(start).to.include(flag)
    // a boolean's --no- twin is named in its line, not listed apart, and still works
    expect(help.stdout).to.include('--no-search turns it off')
    expect(help.stdout).not.to.match(/^\s+--no-search\b/m)
    const printed = await runCli(['config', 'print', '--effective', '--no-search', '--json'])
    expect(printed.code, printed.stderr).to.equal(0)
    expect(printed.stdout).to.match(/"search"/)
  })
})
