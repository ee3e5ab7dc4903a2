import { expect } from 'chai'
import { MAX_MEMBER_REPORTS, MAX_PLUGINS, MAX_VERSIONS_PER_PLUGIN, PLUGIN_CATALOG, PLUGIN_CATALOG_KEY, pluginCatalog } from '../../../actors/index.ts'
import type { InstallOutcome, PluginCatalogView, PluginEntry } from '../../../actors/index.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

const digest = (c: string): string => c.repeat(64)
const manifest = (name: string, version: string): object => ({ name, version, description: `${name} ${version}`, plexi: '^1.0.0', entry: { node: 'server.mjs' }, permissions: {} })
const install = (name: string, version: string, d = digest('a'), ts = 1): object => ({ type: 'install', name, version, manifest: manifest(name, version), digest: d, size: 100, by: 'admin', ts })

describe('pluginCatalog: the cluster\'s plugins (real LevelDB journal)', function () {
  this.timeout(30_000)
  const node = useLocalEntities(entity(pluginCatalog))
  const ask = async <T>(msg: object): Promise<T> => await node.system.entity(PLUGIN_CATALOG, PLUGIN_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })
  const refused = async (msg: object): Promise<Error> => await ask(msg).then(() => { throw new Error('expected a refusal') }, (e: Error) => e)

  it('should install a plugin enabled with its version active, add versions, upgrade and roll back, and keep it all across a restart', async () => {
    const first = await ask<InstallOutcome>(install('clock', '1.0.0', digest('a'), 10))
    expect(first.installed).to.equal(true)
    expect(first.entry).to.deep.include({ name: 'clock', active: '1.0.0', previous: null, enabled: true, changedAt: 10 })
    expect(first.entry.versions['1.0.0']).to.deep.include({ digest: digest('a'), size: 100, installedBy: 'admin', installedAt: 10 })
    // the same package again is no change; the same version with other bytes is refused
    expect((await ask<InstallOutcome>(install('clock', '1.0.0', digest('a'), 11))).installed).to.equal(false)
    const other = await refused(install('clock', '1.0.0', digest('b'), 12))
    expect([other.name, other.message]).to.deep.equal(['PluginCatalogError', `clock 1.0.0 is installed already with other content (digest ${'a'.repeat(12)}…): a version never changes; give this one a new version`])
    // a new version is stored, not run, until it is activated
    expect((await ask<InstallOutcome>(install('clock', '1.1.0', digest('b'), 20))).entry).to.deep.include({ active: '1.0.0' })
    expect(await ask<PluginEntry>({ type: 'activate', name: 'clock', version: '1.1.0', ts: 30 })).to.deep.include({ active: '1.1.0', previous: '1.0.0', changedAt: 30 })
    expect(await ask<PluginEntry>({ type: 'rollback', name: 'clock', ts: 40 })).to.deep.include({ active: '1.0.0', previous: '1.1.0' })
    expect(await ask<PluginEntry>({ type: 'set-enabled', name: 'clock', enabled: false, ts: 50 })).to.deep.include({ enabled: false, changedAt: 50 })
    await node.restart()
    const view = await ask<PluginCatalogView>({ type: 'list' })
    expect(view.plugins.map((p) => [p.name, p.active, p.previous, p.enabled, Object.keys(p.versions).sort()])).to.deep.equal([['clock', '1.0.0', '1.1.0', false, ['1.0.0', '1.1.0']]])
    expect(view.seq).to.be.above(0)
  })

  it('should keep what each member reports, journaling only a change, and forget it with the plugin', async () => {
    await ask(install('clock', '1.0.0'))
    const report = { version: '1.0.0', state: 'running', restarts: 0, error: null, at: 5 }
    expect(await ask<boolean>({ type: 'report', name: 'clock', node: 'n1', report })).to.equal(true)
    const seq = (await ask<PluginCatalogView>({ type: 'list' })).seq
    expect(await ask<boolean>({ type: 'report', name: 'clock', node: 'n1', report: { ...report, at: 6 } })).to.equal(true)
    expect((await ask<PluginCatalogView>({ type: 'list' })).seq, 'the same report again writes nothing').to.equal(seq)
    await ask({ type: 'report', name: 'clock', node: 'n1', report: { ...report, state: 'restarting', restarts: 1, error: 'exited with code 1', at: 7 } })
    expect((await ask<PluginEntry>({ type: 'get', name: 'clock' })).members).to.deep.equal({ n1: { version: '1.0.0', state: 'restarting', restarts: 1, error: 'exited with code 1', at: 7 } })
    expect(await ask<boolean>({ type: 'report', name: 'other', node: 'n1', report })).to.equal(false)
    expect((await ask<PluginEntry>({ type: 'remove', name: 'clock' })).name).to.equal('clock')
    expect((await refused({ type: 'get', name: 'clock' })).name).to.equal('UnknownPluginError')
    expect(await ask<boolean>({ type: 'report', name: 'clock', node: 'n1', report })).to.equal(false)
    expect((await ask<PluginCatalogView>({ type: 'list' })).plugins).to.deep.equal([])
  })

  it('should keep its bounds: versions (the oldest spare one forgotten), members\' reports, plugins', async () => {
    await ask(install('clock', '1.0.0', digest('a'), 1))
    await ask(install('clock', '1.1.0', digest('b'), 2))
    await ask({ type: 'activate', name: 'clock', version: '1.1.0', ts: 3 })
    for (let v = 2; v < MAX_VERSIONS_PER_PLUGIN + 2; v++) await ask(install('clock', `1.${v}.0`, digest('c'), 3 + v))
    const kept = await ask<PluginEntry>({ type: 'get', name: 'clock' })
    expect(Object.keys(kept.versions)).to.have.length(MAX_VERSIONS_PER_PLUGIN)
    // the active one and the previous one are never forgotten
    expect(Object.keys(kept.versions)).to.include.members(['1.0.0', '1.1.0'])
    expect(Object.keys(kept.versions)).to.not.include('1.2.0')
    for (let n = 0; n < MAX_MEMBER_REPORTS + 3; n++) {
      await ask({ type: 'report', name: 'clock', node: `n${n}`, report: { version: '1.1.0', state: 'running', restarts: 0, error: null, at: n } })
    }
    const members = Object.keys((await ask<PluginEntry>({ type: 'get', name: 'clock' })).members)
    expect(members).to.have.length(MAX_MEMBER_REPORTS)
    expect(members).to.not.include.members(['n0', 'n1', 'n2'])
    for (let p = 1; p < MAX_PLUGINS; p++) await ask(install(`p${p}`, '1.0.0'))
    expect((await refused(install('one-more', '1.0.0'))).message).to.match(/holds 64 plugins, the most it keeps/)
  })

  it('should refuse what it cannot do, changing nothing', async () => {
    expect((await refused({ type: 'activate', name: 'clock', version: '1.0.0', ts: 1 })).message).to.equal('no plugin named clock is installed')
    await ask(install('clock', '1.0.0'))
    const seq = (await ask<PluginCatalogView>({ type: 'list' })).seq
    expect((await refused({ type: 'rollback', name: 'clock', ts: 2 })).message).to.equal('clock has no previous version to roll back to (it ran only 1.0.0)')
    const unknown = await refused({ type: 'activate', name: 'clock', version: '2.0.0', ts: 2 })
    expect([unknown.name, unknown.message]).to.deep.equal(['UnknownPluginError', 'clock 2.0.0 is not installed (installed: 1.0.0)'])
    // asking for what is so already writes nothing
    await ask({ type: 'activate', name: 'clock', version: '1.0.0', ts: 3 })
    await ask({ type: 'set-enabled', name: 'clock', enabled: true, ts: 3 })
    expect((await ask<PluginCatalogView>({ type: 'list' })).seq).to.equal(seq)
  })
})
