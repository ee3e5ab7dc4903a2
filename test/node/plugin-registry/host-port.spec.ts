import { expect } from 'chai'
import type { PluginHostPort } from '../../../node/plugin-registry/index.ts'
import { TestPluginLauncher } from '../../helpers/plugin-launcher.ts'

describe('PluginHostPort: what the registry asks of the plugin host', () => {
  it('should be met by the specs\' launcher (and by the host once it is bound), the typecheck holding both to it', () => {
    const port: PluginHostPort = new TestPluginLauncher()
    expect(port.running()).to.deep.equal([])
    expect(Object.keys(Object.getOwnPropertyDescriptors(TestPluginLauncher.prototype))).to.include.members(['start', 'stop', 'running', 'logs'])
  })
})
