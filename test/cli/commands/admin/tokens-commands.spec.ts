import { expect } from 'chai'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('tokensCommands', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should make a named token, list it without its secret, and revoke it', async () => {
    const made = await cli.run('tokens', 'add', 'viewer')
    expect(made.code).to.equal(0)
    const [line, token] = made.stdout.split('\n')
    expect(line).to.equal('admin token viewer (scope read) created on this node; token (shown once):')
    expect(cli.fixture.tokens.match(token ?? '')).to.deep.include({ name: 'viewer', scope: 'read' })
    const listed = await cli.run('tokens')
    expect(listed.stdout).to.match(/^NAME\s+SCOPE\s+CREATED\nviewer\s+read\s+\d{4}-/)
    expect(listed.stdout).to.not.include(token)
    expect((await cli.run('tokens', 'rm', 'viewer')).stdout).to.equal('admin token viewer revoked; it no longer works\n')
    expect(JSON.parse((await cli.run('tokens', 'ls', '--json')).stdout)).to.deep.equal([])
  })

  it('should refuse a scope that is none as a usage error, asking nothing of the node', async () => {
    const refused = await cli.run('tokens', 'add', 'ops', '--scope', 'root')
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.equal('plexi: --scope: expected read or admin, got "root"\n')
    expect(cli.fixture.tokens.list()).to.deep.equal([])
    const admin = JSON.parse((await cli.run('tokens', 'add', 'ops', '--scope', 'admin', '--json')).stdout) as { scope: string }
    expect(admin.scope).to.equal('admin')
  })
})
