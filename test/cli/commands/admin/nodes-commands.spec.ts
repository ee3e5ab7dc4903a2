import { expect } from 'chai'
import { NODE_ID } from '../../../helpers/admin-fixture.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('nodesCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should list every member as a table, and as JSON', async () => {
    const table = await cli.run('nodes')
    expect(table.stdout.split('\n')[0]).to.equal('1 member: 1 up; chat 1 (all up)')
    expect(table.stdout.split('\n')[2]).to.match(new RegExp(`^${NODE_ID}\\s+chat\\s+up\\s`))
    expect(table.stdout).to.not.include('(self)')
    expect((JSON.parse((await cli.run('nodes', '--json')).stdout) as Array<{ peerId: string }>).map((m) => m.peerId)).to.deep.equal([NODE_ID])
  })
})

describe('rolesCommands', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should change a member\'s roles, saying what they were, and refuse an empty list as a usage error', async () => {
    const changed = await cli.run('roles', 'set', NODE_ID, 'chat, ai')
    expect(changed.code, changed.stderr).to.equal(0)
    expect(changed.stdout).to.equal(`roles of ${NODE_ID}: chat,ai (were chat)\n`)
    const empty = await cli.run('roles', 'set', NODE_ID, ' , ')
    expect([empty.code, empty.stderr]).to.deep.equal([2, 'plexi: roles set: give a comma-separated list of chat, ai, storage, backup, plugins, or all\n'])
  })
})

describe('leaveCommands', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should pass on the node\'s refusal of a drain or a decommission it cannot do, exit 1', async () => {
    for (const mode of ['drain', 'decommission']) {
      const refused = await cli.run(mode, '12D3KooWb', '--no-wait', '--force')
      expect(refused.code, mode).to.equal(1)
      expect(refused.stderr, mode).to.include(`this node cannot ${mode} members (it runs without a cluster key)`)
    }
  })
})
