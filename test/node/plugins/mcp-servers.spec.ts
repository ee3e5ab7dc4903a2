import { expect } from 'chai'
import { McpServerExistsError, mcpServerRegistry } from '../../../actors/index.ts'
import { InvalidPluginRequestError } from '../../../node/plugins/index.ts'
import { McpServers } from '../../../node/plugins/mcp-servers.ts'
import { InvalidServerRegistrationError } from '../../../protocols/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'
import { rejection } from '../../helpers/thrown.ts'

const github = { name: 'github', description: 'issues', transport: { kind: 'stdio', command: 'npx', args: ['-y', 'gh'], env: { GH_TOKEN: 'ghp_0123456789' }, network: true } }

describe('McpServers', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(mcpServerRegistry))

  it('should register, list without secrets, and remove servers for the whole cluster', async () => {
    const servers = new McpServers(node.system)
    const view = await servers.register(github)
    expect(view).to.deep.equal({ name: 'github', description: 'issues', kind: 'stdio', target: 'npx -y gh', envNames: ['GH_TOKEN'], network: true, memoryMiB: 256 })
    expect(JSON.stringify(await servers.list())).to.not.include('ghp_0123456789')
    expect((await servers.registrations())[0]?.transport).to.deep.include({ env: { GH_TOKEN: 'ghp_0123456789' } })
    expect(await rejection(() => servers.register(github))).to.be.instanceOf(McpServerExistsError)
    expect((await servers.register({ ...github, description: 'new' }, { replace: true })).description).to.equal('new')
    expect(await servers.remove('github')).to.equal(true)
    expect(await servers.list()).to.deep.equal([])
  })

  it('should refuse a bad registration or name before it reaches the registry', async () => {
    const servers = new McpServers(node.system)
    expect(await rejection(() => servers.register({ ...github, transport: { kind: 'stdio', command: 'bin/x' } }))).to.be.instanceOf(InvalidServerRegistrationError)
    expect(await rejection(() => servers.remove('Git Hub'))).to.be.instanceOf(InvalidPluginRequestError)
    expect(await servers.list()).to.deep.equal([])
  })
})
