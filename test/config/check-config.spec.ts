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

  it('should take a TLS certificate with its key, and refuse one without the other, naming the one missing', async () => {
    checkNodeConfig(await config({ role: 'all', 'tls-cert': '/tls/node.crt', 'tls-key': '/tls/node.key' }))
    const noKey = refused(await config({ role: 'all', 'tls-cert': '/tls/node.crt' }))
    expect(noKey).to.include({ key: 'tls-key' })
    expect(noKey.message).to.match(/^tls-cert is set but tls-key is not: TLS needs both/)
    expect(refused(await config({ role: 'all', 'tls-key': '/tls/node.key' }))).to.include({ key: 'tls-cert' })
  })

  it('should refuse web-advertise when web-listen is off, naming it', async () => {
    checkNodeConfig(await config({ role: 'all', 'web-advertise': 'https://chat1.example.com' }))
    const err = refused(await config({ role: 'all', 'web-listen': 'off', 'web-advertise': 'https://chat1.example.com' }))
    expect(err).to.include({ key: 'web-advertise' })
    expect(err.message).to.match(/web-listen is off/)
  })

  it('should take an http(s) OTLP endpoint and a sample ratio, and refuse an endpoint that is not a URL or has a query', async () => {
    const on = await config({ role: 'all', 'otlp-endpoint': 'http://127.0.0.1:4318', 'trace-sample': '1' })
    checkNodeConfig(on)
    expect(on).to.include({ otlpEndpoint: 'http://127.0.0.1:4318', traceSample: 1 })
    expect((await config({ role: 'all' })).traceSample, 'the default ratio').to.equal(0.01)
    for (const bad of ['collector:4318', 'ftp://collector:4318', 'http://collector:4318/?x=1']) {
      const err = refused(await config({ role: 'all', 'otlp-endpoint': bad }))
      expect(err, bad).to.include({ key: 'otlp-endpoint' })
      expect(err.message).to.match(/not an http or https URL/)
    }
    let outOfRange: unknown
    await config({ role: 'all', 'trace-sample': '1.5' }).catch((err: unknown) => { outOfRange = err })
    expect(outOfRange).to.be.instanceOf(ConfigError)
  })

  it('should refuse, naming the key, what no single key can tell is wrong', async () => {
    expect(refused(await config({}))).to.include({ key: 'role' })
    expect(refused(await config({ role: 'chat', join: '/ip4/127.0.0.1/tcp/7401' }))).to.include({ key: 'join' })
    expect(refused(await config({ role: 'chat', mdns: true }))).to.include({ key: 'mdns' })
    const tokens = refused(await config({ role: 'ai', 'agent-max-tokens': '2048', 'context-size': '2048' }))
    expect(tokens).to.include({ key: 'agent-max-tokens' })
    expect(tokens.message).to.match(/leaves no room for the prompt in a context of 2048 tokens/)
    expect(refused(await config({ role: 'chat', 'openai-listen': '127.0.0.1:0' }))).to.include({ key: 'openai-listen' })
    const quorum = refused(await config({ role: 'storage', 'replication-factor': '3', 'write-quorum': '4' }))
    expect(quorum).to.include({ key: 'write-quorum' })
    expect(quorum.message).to.match(/4 is more than replication-factor 3/)
    checkNodeConfig(await config({ role: 'storage', 'replication-factor': '5', 'write-quorum': '5' }))
    // a node replaced before it is surely down: refused; 0 (never) is fine
    const replace = refused(await config({ role: 'storage', 'failure-timeout': '3000', 'replica-replace-after': '5000' }))
    expect(replace).to.include({ key: 'replica-replace-after' })
    expect(replace.message).to.match(/less than twice failure-timeout/)
    checkNodeConfig(await config({ role: 'storage', 'failure-timeout': '3000', 'replica-replace-after': '0' }))
    checkNodeConfig(await config({ role: 'storage', 'failure-timeout': '3000', 'replica-replace-after': '6000' }))
  })

  it('should refuse replication settings out of range, naming the key', async () => {
    for (const [key, value] of [['partitions', '0'], ['partitions', '65537'], ['replication-factor', '0'], ['replication-factor', '8'], ['write-quorum', '0'], ['partitions', 'many'], ['replica-replace-after', '-1'], ['replica-replace-after', 'soon']] as const) {
      const err = await config({ role: 'all', [key]: value }).then(() => null, (e: unknown) => e)
      expect(err, `${key}=${value}`).to.be.instanceOf(ConfigError)
      expect(err, `${key}=${value}`).to.include({ key })
    }
  })
})
