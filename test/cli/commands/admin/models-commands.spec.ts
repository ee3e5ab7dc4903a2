import { expect } from 'chai'
import { AdminCli } from '../../../helpers/admin-cli.ts'

describe('modelsCommands', () => {
  const cli = new AdminCli()
  beforeEach(async () => { await cli.setup() })
  afterEach(async () => { await cli.teardown() })

  it('should list the node\'s models as a table by default, and as JSON', async () => {
    const table = await cli.run('models')
    expect(table.code).to.equal(0)
    expect(table.stdout).to.match(/^NAME\s+ARCH\s+QUANT\s+PARAMS\s+SIZE\s+CONTEXT\s+STATUS\s+LOADED ON\s+MEMORY\s+BACKEND\s+BATCHING\n$/)
    expect(JSON.parse((await cli.run('models', 'ls', '--json')).stdout)).to.deep.equal([])
  })

  it('should pass on the refusal of a node without the ai role to load or unload, exit 1', async () => {
    const load = await cli.run('models', 'load', 'tiny')
    expect(load.code).to.equal(1)
    expect(load.stderr).to.include('this node does not run models (it has no ai role)')
    const unload = await cli.run('models', 'unload', 'tiny')
    expect(unload.code).to.equal(1)
    expect(unload.stderr).to.include('no model named tiny; see GET /api/v1/models')
  })
})
