import { expect } from 'chai'
import { MAX_MCP_SERVERS, MCP_SERVERS, MCP_SERVER_REGISTRY_KEY, McpServerExistsError, McpServerRegistryFullError, mcpServerRegistry } from '../../../actors/index.ts'
import type { McpServerEntry } from '../../../actors/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

const server = (name: string) => ({ name, description: 'd', transport: { kind: 'stdio', command: 'npx', args: ['-y', name], env: { TOKEN: 'secret' } } })

describe('mcpServerRegistry: the cluster\'s registered MCP servers (real LevelDB journal)', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(mcpServerRegistry))
  const ask = async <T>(msg: object): Promise<T> => await node.system.entity(MCP_SERVERS, MCP_SERVER_REGISTRY_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
  const names = async (): Promise<string[]> => (await ask<McpServerEntry[]>({ type: 'list' })).map((e) => e.registration.name)

  it('should register, list, replace and remove servers, keeping them across a restart', async () => {
    expect(await ask({ type: 'register', registration: server('memory'), replace: false, ts: 1 })).to.deep.equal({ registration: server('memory'), ts: 1 })
    await ask({ type: 'register', registration: server('github'), replace: false, ts: 2 })
    expect(await names()).to.deep.equal(['github', 'memory'])
    const refused = await ask({ type: 'register', registration: server('memory'), replace: false, ts: 3 }).then(() => null, (e: Error) => e)
    expect(refused).to.be.instanceOf(McpServerExistsError)
    const replaced = await ask<McpServerEntry>({ type: 'register', registration: { ...server('memory'), description: 'new' }, replace: true, ts: 4 })
    expect(replaced.registration.description).to.equal('new')
    await node.restart()
    expect(await names()).to.deep.equal(['github', 'memory'])
    expect((await ask<McpServerEntry[]>({ type: 'list' }))[1]?.registration.transport).to.deep.include({ env: { TOKEN: 'secret' } })
    expect(await ask({ type: 'remove', name: 'github' })).to.equal(true)
    expect(await ask({ type: 'remove', name: 'github' })).to.equal(false)
    expect(await names()).to.deep.equal(['memory'])
  })

  it('should journal only a registration\'s own fields, and refuse a malformed one naming the field', async () => {
    await ask({ type: 'register', registration: server('memory'), replace: false, ts: 1, extra: 1 })
    const bad = await ask({ type: 'register', registration: { ...server('x'), transport: { kind: 'stdio', command: './relative' } }, replace: false, ts: 1 }).then(() => null, (e: Error) => e)
    expect(bad?.message).to.match(/transport\.command/)
    const noReplace = await ask({ type: 'register', registration: server('y'), ts: 1 }).then(() => null, (e: Error) => e)
    expect(noReplace?.message).to.match(/replace/)
    expect(await names()).to.deep.equal(['memory'])
  })

  it('should refuse more servers than the cluster keeps', async () => {
    for (let i = 0; i < MAX_MCP_SERVERS; i++) await ask({ type: 'register', registration: server(`s${i}`), replace: false, ts: i })
    const full = await ask({ type: 'register', registration: server('one-more'), replace: false, ts: 0 }).then(() => null, (e: Error) => e)
    expect(full).to.be.instanceOf(McpServerRegistryFullError)
  })
})
