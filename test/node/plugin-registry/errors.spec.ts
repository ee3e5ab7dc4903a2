import { expect } from 'chai'
import * as registryErrors from '../../../node/plugin-registry/errors.ts'
import { errorClasses, errorData, kindOf, rebuildError } from '../../../protocols/index.ts'

describe('plugin registry errors', () => {
  it('should give each failure its own class, name and kind, and cross the wire as itself', () => {
    const classes = errorClasses(registryErrors)
    expect([...classes.keys()].sort()).to.deep.equal(['InvalidPluginPackageError', 'PluginApiVersionError', 'PluginDigestMismatchError'])
    for (const [name, Class] of classes) expect(new (Class as unknown as new (m: string) => Error)('x').name).to.equal(name)
    expect([new registryErrors.InvalidPluginPackageError('x'), new registryErrors.PluginApiVersionError('x'), new registryErrors.PluginDigestMismatchError('x')].map(kindOf))
      .to.deep.equal(['invalid', 'invalid', 'unavailable'])
    expect(rebuildError(errorData(new registryErrors.PluginApiVersionError('old')), classes)).to.be.instanceOf(registryErrors.PluginApiVersionError)
  })
})
