import { expect } from 'chai'
import { PLUGIN_VERSION_PATTERN } from '../../../actors/index.ts'
import { pluginLogsSchema, pluginNameParam, pluginSchema, pluginVersionField } from '../../../protocols/admin/plugins-schemas.ts'
import { SOURCE_NAME_PATTERN } from '../../../protocols/plugins/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

const node = { node: 'n1', member: 'up', version: '1.0.0', state: 'running', restarts: 0, error: null, reportedAt: 5, calls: 3, errors: 0, latencyMs: 0.4, memoryBytes: 100, running: ['1.0.0'] }
const plugin = {
  name: 'clock', description: 'tells the time', active: '1.0.0', previous: null, enabled: true, changedAt: 1,
  manifest: { name: 'clock', version: '1.0.0', entry: { node: 'server.mjs' } }, permissions: { network: false },
  versions: [{ version: '1.0.0', digest: 'a'.repeat(64), size: 10, installedBy: 'admin', installedAt: 1, plexi: '^1.0.0' }],
  nodes: [node]
}

describe('plugins schemas', () => {
  it('should fit a plugin with its versions and each member\'s side', () => {
    const check = validatorOf(pluginSchema)
    expect(check(plugin).ok).to.equal(true)
    expect(check({ ...plugin, nodes: [{ ...node, state: 'pending', version: null, calls: null, reportedAt: null }] }).ok).to.equal(true)
    expect(check({ ...plugin, nodes: [{ ...node, state: 'dancing' }] }).errors).to.deep.equal(['/nodes/0/state must be equal to one of the allowed values'])
    expect(validatorOf(pluginLogsSchema)({ logs: [{ node: 'n1', lines: [{ version: '1.0.0', line: 'up' }] }] }).ok).to.equal(true)
  })

  it('should take names and versions as the catalog does', () => {
    expect(pluginNameParam.pattern).to.equal(SOURCE_NAME_PATTERN)
    expect(pluginVersionField.pattern).to.equal(PLUGIN_VERSION_PATTERN.source)
    expect(validatorOf(pluginVersionField)('1.2.3-rc.1').ok).to.equal(true)
    expect(validatorOf(pluginVersionField)('../1').ok).to.equal(false)
  })
})
