import { expect } from 'chai'
import { NODE_ID } from '../../../helpers/admin-fixture.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('jobsCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  /** A repair of one partition, ended: a job of this node. */
  const repaired = async (): Promise<string> => {
    await cli.run('repair', '--partition', '3')
    return 'repair-1-Test'
  }

  it('should list the jobs as a table and as JSON, filtered by kind and state', async () => {
    const id = await repaired()
    const table = await cli.run('jobs')
    expect(table.stdout.split('\n')[0]).to.match(/^ID\s+KIND\s+NODE\s+TARGET\s+STATE\s+PROGRESS\s+AGE\s+MESSAGE$/)
    expect(table.stdout.split('\n')[1]).to.match(new RegExp(`^${id}\\s+repair\\s+\\S+\\s+partition/3\\s+done\\s`))
    expect(JSON.parse((await cli.run('jobs', '--kind', 'repair', '--state', 'done', '--json')).stdout)).to.deep.include({ unreachable: [] })
    expect((JSON.parse((await cli.run('jobs', '--kind', 'drain', '--json')).stdout) as { jobs: unknown[] }).jobs).to.deep.equal([])
  })

  it('should show one job in full, follow it, and refuse to cancel it once it ended', async () => {
    const id = await repaired()
    const shown = await cli.run('jobs', id)
    expect(shown.stdout).to.match(new RegExp(`^id:\\s+${id}\\nkind:\\s+repair\\nnode:\\s+${NODE_ID}\\ntarget:\\s+partition/3\\nstate:\\s+done\\n`))
    expect(shown.stdout).to.match(/\nleft:\n {2}partitions 3 on 12D3KooWTest: not repaired: /)
    expect((await cli.run('jobs', id, '--watch')).code, 'followed to its end: done').to.equal(0)
    const cancel = await cli.run('jobs', id, '--cancel')
    expect([cancel.code, cancel.stderr]).to.deep.equal([1, `plexi: job ${id} had already ended (done): nothing to cancel\n`])
  })

  it('should say so for a job no member has, and refuse what is no job id or a filter with one as usage errors', async () => {
    const missing = await cli.run('jobs', 'drain-9-Test')
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.match(/^plexi: no job drain-9-Test on any member\b/)
    const cases: Array<[string[], string]> = [
      [['jobs', 'drain'], 'plexi: job id: expected KIND-N-XXXX such as drain-3-k7f2 (plexi admin jobs lists them), got "drain"\n'],
      [['jobs', '--watch'], 'plexi: --watch needs a job id: plexi admin jobs ID --watch (plexi admin jobs lists them)\n'],
      [['jobs', '--kind', 'teleport'], 'plexi: --kind: expected one of drain, decommission, rebalance, migrate, repair, backup, verify, restore, sweep, erase, retention, reindex, pull, got "teleport"\n'],
      [['jobs', 'drain-1-Test', '--state', 'done'], 'plexi: --kind and --state filter the listing; leave them out with a job id\n']
    ]
    for (const [args, says] of cases) {
      const refused = await cli.run(...args)
      expect([refused.code, refused.stderr], args.join(' ')).to.deep.equal([2, says])
    }
  })
})
