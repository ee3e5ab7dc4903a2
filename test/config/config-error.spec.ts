import { expect } from 'chai'
import { errorData, kindOf } from '../../protocols/index.ts'
import { ConfigError, loadConfig } from '../../config/index.ts'

describe('ConfigError', () => {
  it('should name the key it is about, as an invalid request', () => {
    const err = new ConfigError('grpc-listen', 'expected host:port')
    expect(err).to.include({ name: 'ConfigError', key: 'grpc-listen', message: 'expected host:port' })
    expect(kindOf(err)).to.equal('invalid')
    expect(errorData(err).fields).to.deep.equal({ key: 'grpc-listen' })
  })

  it('should be what the loader throws for a bad value', async () => {
    const err = await loadConfig({ flags: { 'chat-burst': 'many' }, env: {} }).then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(ConfigError)
    expect((err as ConfigError).key).to.equal('chat-burst')
  })
})
