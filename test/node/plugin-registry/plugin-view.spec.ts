import { expect } from 'chai'
import type { PluginEntry } from '../../../actors/index.ts'
import { pluginView } from '../../../node/plugin-registry/index.ts'
import type { MemberPluginStatus } from '../../../node/plugin-registry/index.ts'
import { testManifest } from '../../helpers/plugin-packages.ts'

const version = (v: string, at: number) => ({ version: v, manifest: testManifest({ version: v }) as never, digest: v.replace(/\./g, '').padEnd(64, 'a'), size: 10, installedBy: 'admin', installedAt: at })
const entry: PluginEntry = {
  name: 'clock',
  versions: { '1.0.0': version('1.0.0', 1), '1.1.0': version('1.1.0', 2) },
  active: '1.1.0',
  previous: '1.0.0',
  enabled: true,
  changedAt: 3,
  members: {
    n1: { version: '1.1.0', state: 'running', restarts: 1, error: null, at: 4 },
    gone: { version: '1.0.0', state: 'running', restarts: 0, error: null, at: 1 }
  }
}

describe('pluginView', () => {
  it('should show the active manifest, the versions newest first, and each member\'s side with its live figures', () => {
    const live = new Map<string, MemberPluginStatus>([
      ['n1', { node: 'n1', runs: true, failures: [], plugins: [{ name: 'clock', version: '1.1.0', state: 'up', restarts: 2, calls: 7, errors: 1, latencyMs: 0.5, memoryBytes: 1_000, lastError: null }] }],
      ['n2', { node: 'n2', runs: true, failures: [], plugins: [] }],
      ['n3', { node: 'n3', runs: false, failures: [], plugins: [] }]
    ])
    const members = new Map([['n1', { peerId: 'n1', status: 'up', roles: ['plugins'] }], ['n2', { peerId: 'n2', status: 'up', roles: ['plugins'] }]])
    const view = pluginView(entry, members, live)
    expect(view).to.deep.include({ name: 'clock', description: 'the test plugin clock', active: '1.1.0', previous: '1.0.0', enabled: true, changedAt: 3 })
    expect(view.permissions).to.deep.equal({ env: ['TZ'], memoryMiB: 64 })
    expect(view.versions.map((v) => [v.version, v.plexi])).to.deep.equal([['1.1.0', '^1.0.0'], ['1.0.0', '^1.0.0']])
    expect(view.nodes).to.deep.equal([
      { node: 'gone', member: 'gone', version: '1.0.0', state: 'running', restarts: 0, error: null, reportedAt: 1, calls: null, errors: null, latencyMs: null, memoryBytes: null, running: [] },
      { node: 'n1', member: 'up', version: '1.1.0', state: 'running', restarts: 2, error: null, reportedAt: 4, calls: 7, errors: 1, latencyMs: 0.5, memoryBytes: 1_000, running: ['1.1.0'] },
      { node: 'n2', member: 'up', version: null, state: 'pending', restarts: 0, error: null, reportedAt: null, calls: null, errors: null, latencyMs: null, memoryBytes: null, running: [] }
    ])
  })
})
