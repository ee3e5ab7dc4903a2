import { expect } from 'chai'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { UserAccounts } from '../../../../node/index.ts'
import { ToolPolicy } from '../../../../node/users/index.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('usersCommands', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should add a user and print its token once, saving it only when asked (the admin token came with the command)', async () => {
    const added = await cli.run('users', 'add', 'alice')
    expect(added.code).to.equal(0)
    const [line, token] = added.stdout.split('\n')
    expect(line).to.equal('user alice created; token (shown once):')
    expect(await new UserAccounts(cli.fixture.system).authenticate(token ?? '')).to.equal('alice')
    const saved = await cli.run('users', 'add', 'bob', '--save', '--json')
    const body = JSON.parse(saved.stdout) as { name: string, token: string, savedTo: string, default: boolean }
    expect(body).to.include({ name: 'bob', savedTo: join(cli.fixture.dataDir, 'tokens', 'bob'), default: true })
    expect((await stat(body.savedTo)).mode & 0o777).to.equal(0o600)
    expect((await cli.run('users', 'add', 'bob')).code, 'a name taken').to.equal(1)
  })

  it('should list the users as a table by default, and as JSON', async () => {
    await cli.run('users', 'add', 'alice')
    const table = await cli.run('users')
    expect(table.stdout.split('\n')[0]).to.match(/^NAME\s+CREATED$/)
    expect(table.stdout).to.match(/^alice\s+\d{4}-\d{2}-\d{2}T/m)
    expect((JSON.parse((await cli.run('users', 'ls', '--json')).stdout) as Array<{ name: string }>).map((u) => u.name)).to.deep.equal(['alice'])
  })

  it('should remove a user and the token saved for it, saying it was the default', async () => {
    await cli.run('users', 'add', 'bob', '--save')
    const removed = await cli.run('users', 'rm', 'bob')
    expect(removed.code).to.equal(0)
    expect(removed.stdout).to.equal(`user bob removed; their token no longer works\nremoved the saved token ${join(cli.fixture.dataDir, 'tokens', 'bob')} (bob was the default user)\n`)
    const again = await cli.run('users', 'rm', 'bob', '--json')
    expect(again.code).to.equal(1)
    expect(again.stderr).to.match(/^plexi: .*bob/)
  })

  it('should erase a user only with --yes, starting the erase job and forgetting their saved token', async () => {
    await cli.run('users', 'add', 'eve', '--save')
    const refused = await cli.run('users', 'erase', 'eve')
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.match(/cannot be undone.*--yes/)
    const started = await cli.run('users', 'erase', 'eve', '--yes', '--no-wait')
    expect(started.code, started.stderr).to.equal(0)
    expect(started.stdout).to.match(/^erase-1-\w+ started/)
    await stat(join(cli.fixture.dataDir, 'tokens', 'eve')).then(() => { throw new Error('the token file stayed') }, () => undefined)
  })

  it('should show a user\'s tools, and grant and revoke them, naming each list', async () => {
    await cli.run('users', 'add', 'ann')
    expect((await cli.run('users', 'tools', 'ann')).stdout).to.equal('granted to ann: (none)\n')
    const granted = await cli.run('users', 'tools', 'ann', '--grant', 'clock__*,calc__add', '--grant', 'memory__read_graph')
    expect(granted.code, granted.stderr).to.equal(0)
    expect(granted.stdout).to.equal('granted to ann: calc__add, clock__*, memory__read_graph\n')
    await new ToolPolicy({ system: cli.fixture.system }).switch('ann', { disable: ['clock__*'], enable: [] })
    await new ToolPolicy({ system: cli.fixture.system }).switch('ann', { enable: ['clock__now'] })
    const revoked = await cli.run('users', 'tools', 'ann', '--revoke', 'calc__add', '--json')
    expect(JSON.parse(revoked.stdout)).to.deep.equal({ user: 'ann', granted: ['clock__*', 'memory__read_graph'], enabled: ['clock__now'], disabled: ['clock__*'] })
    expect((await cli.run('users', 'tools', 'ann')).stdout).to.equal('granted to ann: clock__*, memory__read_graph\nturned off by ann: clock__*\nturned on again by ann: clock__now\n')
  })

  it('should refuse a bad tool name before it connects, and say what the node refused', async () => {
    const bad = await cli.runBare('admin', '--admin-addr', '127.0.0.1:1', '--admin-token', 't', 'users', 'tools', 'ann', '--grant', 'clock')
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/--grant: expected tools named <source>__<tool> or <source>__\*, got "clock"/)
    const unknown = await cli.run('users', 'tools', 'zed', '--grant', 'clock__now')
    expect(unknown.code).to.equal(1)
    expect(unknown.stderr).to.match(/^plexi: .*zed/)
    await cli.run('users', 'add', 'ann')
    await cli.run('users', 'tools', 'ann', '--grant', 'clock__*')
    const bySource = await cli.run('users', 'tools', 'ann', '--revoke', 'clock__now')
    expect(bySource.code).to.equal(1)
    expect(bySource.stderr).to.match(/clock__now is granted through clock__\*/)
  })
})
