import { expect } from 'chai'
import * as plugins from '../../../node/plugins/errors.ts'
import { ERROR_KINDS, errorClasses, errorData, kindOf, rebuildError } from '../../../protocols/index.ts'

/** One instance of every error class of the plugin host. */
const samples: Error[] = [
  new plugins.PluginUnavailableError('clock@1.0.0', 'it is restarting'),
  new plugins.PluginTimeoutError('clock', 'the call of now', 100),
  new plugins.PluginNotFoundError('no plugin clock runs on this node'),
  new plugins.PluginAlreadyRunningError('clock@1.0.0 runs already'),
  new plugins.PluginBusyError('too many calls'),
  new plugins.PluginStartError('clock@1.0.0 did not start'),
  new plugins.PluginProtocolError('bad capability'),
  new plugins.PluginFailedError('clock', 'plexi/command', 'it broke'),
  new plugins.InvalidPluginRequestError('method: expected ...'),
  new plugins.UnknownMcpServerError('memory')
]

describe('plugin host errors', () => {
  it('should have a sample here of every error class the host exports', () => {
    const classes = Object.values(plugins).filter((v) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error)
    expect(samples.map((e) => e.constructor.name).sort()).to.deep.equal(classes.map((c) => (c as { name: string }).name).sort())
  })

  it('should name each after its class with a known kind, and come back from the wire as itself with its fields', () => {
    const classes = errorClasses(plugins)
    for (const err of samples) {
      expect(err.name).to.equal(err.constructor.name)
      expect(ERROR_KINDS).to.include(kindOf(err))
      const back = rebuildError(errorData(err), classes)
      expect(back, err.name).to.be.instanceOf(err.constructor)
      expect(back.message).to.equal(err.message)
    }
    const timeout = rebuildError(errorData(samples[1]), classes) as plugins.PluginTimeoutError
    expect([timeout.plugin, timeout.deadlineMs, kindOf(timeout)]).to.deep.equal(['clock', 100, 'timeout'])
    expect((rebuildError(errorData(samples[7]), classes) as plugins.PluginFailedError).said).to.equal('it broke')
  })
})
