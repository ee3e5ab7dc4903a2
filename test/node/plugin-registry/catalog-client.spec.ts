import { expect } from 'chai'
import { pluginCatalog } from '../../../actors/index.ts'
import { CatalogClient } from '../../../node/plugin-registry/index.ts'
import type { PluginManifest } from '../../../protocols/plugins/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'
import { testManifest } from '../../helpers/plugin-packages.ts'

describe('CatalogClient: the plugin catalog as the registry asks it (real LevelDB journal)', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(pluginCatalog))

  it('should install, activate, roll back, enable and disable, report, list and remove, stamping each change with its clock', async () => {
    let now = 100
    const catalog = new CatalogClient(node.system, () => now++)
    const v = (version: string) => ({ name: 'clock', version, manifest: testManifest({ version }) as unknown as PluginManifest, digest: version.replace(/\./g, '').padEnd(64, 'b'), size: 10, by: 'token:ci' })
    expect((await catalog.install(v('1.0.0'))).entry.versions['1.0.0']).to.deep.include({ installedBy: 'token:ci', installedAt: 100 })
    await catalog.install(v('2.0.0'))
    expect((await catalog.activate('clock', '2.0.0')).active).to.equal('2.0.0')
    expect((await catalog.rollback('clock')).active).to.equal('1.0.0')
    expect((await catalog.setEnabled('clock', false)).enabled).to.equal(false)
    expect(await catalog.report('clock', 'n1', { version: null, state: 'stopped', restarts: 0, error: null })).to.equal(true)
    expect((await catalog.get('clock')).members.n1).to.deep.equal({ version: null, state: 'stopped', restarts: 0, error: null, at: now - 1 })
    expect((await catalog.list()).plugins.map((p) => p.name)).to.deep.equal(['clock'])
    expect((await catalog.remove('clock')).name).to.equal('clock')
    const gone = await catalog.get('clock').then(() => undefined, (e: unknown) => e)
    expect((gone as Error).name).to.equal('UnknownPluginError')
  })
})
