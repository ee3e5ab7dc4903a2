import { expect } from 'chai'
import { ConfigError, checkNodeConfig, loadConfig } from '../../config/index.ts'
import type { NodeConfig } from '../../config/index.ts'

describe('checkNodeConfig', () => {
  const config = async (flags: Record<string, unknown>): Promise<NodeConfig> => (await loadConfig({ flags, env: {}, cwd: '/tmp' })).config
  const refused = (c: NodeConfig): ConfigError => {
    try {
      checkNodeConfig(c)
    } catch (err) {
      if (err instanceof ConfigError) return err
      throw err
    }
    throw new Error('expected a ConfigError')
  }

  it('should pass a complete lone node and a node joining with its key', async () => {
    checkNodeConfig(await config({ role: 'all' }))
    checkNodeConfig(await config({ role: 'chat', join: '/ip4/127.0.0.1/tcp/7401/p2p/12D3KooWAbc', 'cluster-key-file': '/k' }))
  })

  it('should refuse, naming the key, what no single key can tell is wrong', async () => {
    expect(refused(await config({}))).to.include({ key: 'role' })
    expect(refused(await config({ role: 'chat', join: '/ip4/127.0.0.1/tcp/7401' }))).to.include({ key: 'join' })
    expect(refused(await config({ role: 'chat', mdns: true }))).to.include({ key: 'mdns' })
    const tokens = refused(await config({ role: 'ai', 'agent-max-tokens': '2048', 'context-size': '2048' }))
    expect(tokens).to.include({ key: 'agent-max-tokens' })
    expect(tokens.message).to.match(/leaves no room for the prompt in a context of 2048 tokens/)
    expect(refused(await config({ role: 'chat', 'openai-listen': '127.0.0.1:0' }))).to.include({ key: 'openai-listen' })
  })
})
