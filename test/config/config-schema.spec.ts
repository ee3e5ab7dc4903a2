import { expect } from 'chai'
import { NODE_ROLES } from '../../actors/index.ts'
import { BATCHING_MODES, CONFIG_SCHEMA, GPU_MODES, LOG_LEVELS, ROLES, camel, envName, loadConfig } from '../../config/index.ts'
import { MAX_CHAT_TEXT_BYTES } from '../../protocols/index.ts'

describe('config-schema', () => {
  it('should name env twins after the flags, and know the same roles as the kernel', () => {
    expect(envName('grpc-listen')).to.equal('PLEXI_GRPC_LISTEN')
    expect([...ROLES]).to.deep.equal([...NODE_ROLES])
  })

  it('should name each key once, in kebab case, its flag, env twin and option name derived from it', () => {
    const keys = CONFIG_SCHEMA.map((s) => s.key)
    expect(new Set(keys).size).to.equal(keys.length)
    for (const key of keys) expect(key, key).to.match(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/)
    expect(camel('grpc-listen')).to.equal('grpcListen')
    expect(camel('p2p-listen')).to.equal('p2pListen')
    expect(envName('max-message-bytes')).to.equal('PLEXI_MAX_MESSAGE_BYTES')
  })

  it('should give every key a description, and defaults that the loader takes as they are', async () => {
    for (const spec of CONFIG_SCHEMA) expect(spec.description.length, spec.key).to.be.greaterThan(10)
    const { sources } = await loadConfig({ env: {} })
    for (const spec of CONFIG_SCHEMA.filter((s) => s.default !== undefined)) expect(sources[spec.key], spec.key).to.equal('default')
  })

  it('should bound max-message-bytes by what every node accepts from another', () => {
    const spec = CONFIG_SCHEMA.find((s) => s.key === 'max-message-bytes')
    expect(spec?.type).to.deep.include({ kind: 'int', max: MAX_CHAT_TEXT_BYTES })
  })

  it('should offer the log levels, gpu modes and batching modes the node knows', () => {
    expect(LOG_LEVELS).to.include.members(['info', 'debug', 'silent'])
    expect([...GPU_MODES]).to.deep.equal(['auto', 'cuda', 'off'])
    expect([...BATCHING_MODES]).to.deep.equal(['auto', 'on', 'off'])
    expect(CONFIG_SCHEMA.find((k) => k.key === 'inference-batching')).to.deep.include({ default: 'auto', type: { kind: 'enum', values: BATCHING_MODES } })
    expect(ROLES).to.have.length(5)
  })
})
