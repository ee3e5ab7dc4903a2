import { expect } from 'chai'
import { NODE_ID } from '../../../helpers/admin-fixture.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('topCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should print one frame off a terminal, and { members, stats } with --json', async () => {
    const frame = await cli.run('top', '--once')
    expect(frame.code).to.equal(0)
    expect(frame.stdout).to.include(NODE_ID)
    const json = JSON.parse((await cli.run('top', '--json')).stdout) as { members: Array<{ peerId: string }>, stats: { node: string, samples: unknown[] } }
    expect(json.members.map((m) => m.peerId)).to.deep.equal([NODE_ID])
    expect(json.stats).to.deep.include({ node: NODE_ID, samples: [] })
  })

  it('should refuse an interval out of its bounds as a usage error', async () => {
    const refused = await cli.run('top', '--interval', '5')
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.match(/^plexi: --interval: /)
  })
})
