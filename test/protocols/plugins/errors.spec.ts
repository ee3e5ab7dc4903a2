import { expect } from 'chai'
import * as plugins from '../../../protocols/plugins/errors.ts'
import { errorClasses, errorData, kindOf, rebuildError } from '../../../protocols/index.ts'

const samples: Error[] = [
  new plugins.InvalidPluginManifestError('permissions.env[0]', 'PLEXI_X is the node\'s own'),
  new plugins.ToolDeniedError('alice', 'clock__now'),
  new plugins.InvalidToolCallError('no tool clock__later'),
  new plugins.InvalidServerRegistrationError('transport.url', 'expected an http: or https: URL')
]

describe('plugin contract errors', () => {
  it('should have a sample here of every error class the contract exports', () => {
    const classes = Object.values(plugins).filter((v) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error)
    expect(samples.map((e) => e.constructor.name).sort()).to.deep.equal(classes.map((c) => (c as { name: string }).name).sort())
  })

  it('should name each after its class, with its kind, and come back as itself from the wire with its fields', () => {
    expect(samples.map(kindOf)).to.deep.equal(['invalid', 'denied', 'invalid', 'invalid'])
    const classes = errorClasses(plugins)
    for (const err of samples) {
      expect(err.name).to.equal(err.constructor.name)
      const back = rebuildError(errorData(err), classes)
      expect(back).to.be.instanceOf(err.constructor)
      expect(back.message).to.equal(err.message)
    }
    expect((rebuildError(errorData(samples[0]), classes) as plugins.InvalidPluginManifestError).field).to.equal('permissions.env[0]')
    expect((rebuildError(errorData(samples[1]), classes) as plugins.ToolDeniedError).tool).to.equal('clock__now')
  })
})
