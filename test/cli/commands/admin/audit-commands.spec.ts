import { expect } from 'chai'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('auditCommands', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should list the trail oldest first, and say where more are when a page is full', async () => {
    for (const name of ['ann', 'ben', 'cid']) await cli.run('users', 'add', name)
    const table = await cli.run('audit')
    expect(table.stdout.split('\n')[0]).to.match(/^SEQ\s+TIME\s+ACTOR\s+FROM\s+NODE\s+ACTION\s+TARGET\s+OUTCOME\s+DETAIL$/)
    expect(table.stdout.trim().split('\n')).to.have.length(4)
    const page = await cli.run('audit', '--limit', '2')
    expect(page.stderr).to.equal('(2 shown; more with --after 2)\n')
    const rest = JSON.parse((await cli.run('audit', '--after', '2', '--json')).stdout) as Array<{ seq: number, action: string }>
    expect(rest.map((r) => [r.seq, r.action])).to.deep.equal([[3, 'POST /api/v1/users']])
    expect((await cli.run('audit', '--limit', '0')).code).to.equal(2)
  })

  it('should say the chain is whole, exit 0, with its head', async () => {
    await cli.run('users', 'add', 'ann')
    const verified = await cli.run('audit', 'verify')
    expect(verified.code).to.equal(0)
    expect(verified.stdout).to.match(/^audit trail whole: 1 records, each following the one before; head [0-9a-f]{64}\n$/)
    expect(JSON.parse((await cli.run('audit', 'verify', '--json')).stdout)).to.include({ ok: true, records: 1 })
  })
})
