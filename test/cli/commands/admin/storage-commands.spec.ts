import { expect } from 'chai'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('storageCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should show the storage nodes as a table, and as JSON', async () => {
    const table = await cli.run('storage')
    expect(table.code).to.equal(0)
    expect(table.stdout).to.match(/^NODE\s+STATUS\s+STATE\s+HAND-OFF\s+CAUGHT UP\n12D3KooWTest\s+up\s+active\s+-\s+\?\n$/)
    expect(JSON.parse((await cli.run('storage', '--json')).stdout)).to.be.an('array')
  })
})

describe('scrubCommand', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should show where scrub stands without starting one, and start one without waiting', async () => {
    const status = await cli.run('scrub', '--status')
    expect(status.code).to.equal(0)
    // a node alone runs no scrubber: it does not answer for one
    expect(status.stdout).to.match(/^NODE\s+STATE\s+PROGRESS\s+CHECKED\s+READ\s+DAMAGED\s+REPAIRED\s+QUARANTINED\s+LAST PASS\n12D3KooWTest\s+not answering\s+\?\s+\?\s+\?\s+\?\s+\?\s+\?\s+-\n$/)
    expect(JSON.parse((await cli.run('scrub', '--status', '--json')).stdout)).to.be.an('array')
    expect((await cli.run('scrub', '--no-wait', '--json')).code).to.equal(0)
  })
})
