import { expect } from 'chai'
import { join } from 'node:path'
import { pluginCatalog, pluginPackage } from '../../../actors/index.ts'
import type { NodeRole } from '../../../actors/index.ts'
import { CatalogClient, PackageFiles, PackageStore, PluginApiVersionError, PluginCallStats, PluginReconciler, PluginRegistry, spawnRegistryActor } from '../../../node/plugin-registry/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { checkPluginManifest } from '../../../protocols/index.ts'
import { testManifestCheck } from '../../helpers/manifest-check.ts'
import { TestPluginLauncher } from '../../helpers/plugin-launcher.ts'
import { pluginPackage as packPlugin } from '../../helpers/plugin-packages.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const quiet = (): undefined => undefined

/** One node's plugin registry as the composition root wires it; a reconciler and a launcher on a
 * plugins-role node. */
interface Wired {
  readonly node: TestNode
  readonly registry: PluginRegistry
  readonly launcher?: TestPluginLauncher
  readonly reconciler?: PluginReconciler
}

function wire (node: TestNode, roles: readonly NodeRole[], dataDir: string): Wired {
  const { system, cluster } = node
  system.registerEntity(pluginCatalog)
  system.registerEntity(pluginPackage)
  const catalog = new CatalogClient(system)
  const packages = new PackageStore(system)
  const registry = new PluginRegistry({
    system, catalog, packages, checkManifest: testManifestCheck, log: { debug: quiet },
    members: () => [{ peerId: system.node, status: 'up', roles }, ...cluster.members().map((m) => ({ peerId: m.peerId, status: m.status, roles: m.roles }))]
  })
  if (!roles.includes('plugins')) {
    spawnRegistryActor(system, undefined)
    return { node, registry }
  }
  const calls = new PluginCallStats()
  const launcher = new TestPluginLauncher({ onCall: (source, outcome, seconds) => { calls.observe(source, outcome, seconds) } })
  const reconciler = new PluginReconciler({
    self: system.node, host: launcher, catalog, packages, files: new PackageFiles(join(dataDir, system.node, 'plugins')), holdsRole: () => true,
    failures: new ServiceFailures(), log: { info: quiet, warn: quiet, debug: quiet }, intervalMs: 60_000
  })
  spawnRegistryActor(system, { reconciler, host: launcher, calls })
  reconciler.start()
  return { node, registry, launcher, reconciler }
}

describe('PluginRegistry: installed once, run by every plugins-role member (3 nodes, real libp2p, real plugin processes)', function () {
  this.timeout(120_000)
  const net = useTestCluster()
  let dir: { path: string, remove: () => Promise<void> }
  let wired: Wired[] = []
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    for (const w of wired) {
      await w.reconciler?.stop()
      await w.launcher?.close()
    }
    wired = []
    await dir.remove()
  })

  it('should install from a node without the role, start it on both plugins-role members, list each with its figures, read their logs, and stop it everywhere once disabled', async () => {
    const roles: NodeRole[][] = [['chat', 'storage'], ['chat', 'plugins'], ['chat', 'plugins']]
    const nodes = await net.of(roles)
    wired = nodes.map((n, i) => wire(n, roles[i] as NodeRole[], dir.path))
    const [a, b, c] = wired as [Wired, Wired, Wired]
    const installed = await a.registry.install(await packPlugin(dir.path), 'admin')
    expect(installed).to.deep.include({ version: '1.0.0', installed: true })
    const runners = [b, c]
    await waitFor(async () => {
      const answers = await Promise.all(runners.map(async (w) => await w.launcher?.call('clock', 'echo', { text: w.node.id }).catch(() => '')))
      return answers.every((answer, i) => answer === `1.0.0:${runners[i]?.node.id}`)
    }, 'both plugins-role members to run clock 1.0.0', { timeout: 60_000, interval: 100 })
    const { plugins, unreachable } = await a.registry.list()
    expect(unreachable).to.deep.equal([])
    expect(plugins.map((p) => p.name)).to.deep.equal(['clock'])
    const rows = plugins[0]?.nodes ?? []
    expect(rows.map((r) => r.node).sort()).to.deep.equal([b.node.id, c.node.id].sort())
    for (const row of rows) {
      expect(row).to.deep.include({ member: 'up', version: '1.0.0', state: 'running', running: ['1.0.0'], errors: 0 })
      expect(row.calls, 'the calls made above, counted where they ran').to.be.at.least(1)
    }
    // the lines each member kept of its own process
    await waitFor(async () => (await a.registry.logs('clock', 10)).logs.every((l) => l.lines.some((line) => line.line === 'call echo')), 'each member\'s stderr lines')
    const { logs } = await a.registry.logs('clock', 10, b.node.id)
    expect(logs.map((l) => l.node)).to.deep.equal([b.node.id])
    expect(logs[0]?.lines[0]).to.deep.equal({ version: '1.0.0', line: 'clock 1.0.0 up' })
    const unknownPeer = await a.registry.logs('clock', 10, 'nobody').then(() => undefined, (e: unknown) => e)
    expect((unknownPeer as Error).name).to.equal('UnknownPeerError')
    await a.registry.disable('clock')
    await waitFor(() => runners.every((w) => w.launcher?.running().length === 0), 'both members to stop it', { timeout: 30_000, interval: 50 })
    const after = (await b.registry.get('clock')).plugin
    expect(after.enabled).to.equal(false)
    await waitFor(async () => (await a.registry.get('clock')).plugin.nodes.every((n) => n.state === 'stopped'), 'both members to say it stopped', { timeout: 30_000, interval: 50 })
  })

  it('should refuse a package whose API range leaves this Plexi out, or whose manifest is wrong, storing nothing', async () => {
    const nodes = await net.of([['chat', 'storage', 'plugins']])
    wired = nodes.map((n) => wire(n, ['chat', 'storage', 'plugins'], dir.path))
    const registry = (wired[0] as Wired).registry
    const old = await registry.install(await packPlugin(dir.path, { plexi: '^2.0.0' }), 'admin').then(() => undefined, (e: unknown) => e)
    expect(old).to.be.instanceOf(PluginApiVersionError)
    expect((old as Error).message).to.equal('clock 1.0.0 works with the plugin API "^2.0.0", which does not include 1.0.0, the one this Plexi speaks')
    const badName = await registry.install(await packPlugin(dir.path, { name: 'clock', version: '9.0.0', manifest: { name: 'Bad Name' } }), 'admin').then(() => undefined, (e: unknown) => e)
    expect((badName as Error).message).to.match(/^the manifest's name "Bad Name" is not a plugin name/)
    const noEntry = await registry.install(await packPlugin(dir.path, { version: '9.1.0', manifest: { entry: 'server.mjs' } }), 'admin').then(() => undefined, (e: unknown) => e)
    expect((noEntry as Error).message).to.equal('plexi-plugin.json: entry: expected { node } or { command, args }')
    const noFile = await registry.install(await packPlugin(dir.path, { version: '9.2.0', manifest: { entry: { node: './lib/missing.mjs' } } }), 'admin').then(() => undefined, (e: unknown) => e)
    expect((noFile as Error).message).to.equal('the manifest\'s entry "./lib/missing.mjs" is not a file of the package')
    expect((await registry.list()).plugins).to.deep.equal([])
  })

  it('should say a plugin is for another plugin API before the host\'s own manifest check refuses its field', async () => {
    // as the composition root wires it: the host's checkPluginManifest, which refuses the `plexi`
    // field of such a manifest as well; nothing is stored
    const registry = new PluginRegistry({
      system: undefined as never,
      catalog: undefined as never,
      packages: { store: async () => { throw new Error('nothing may be stored') } },
      checkManifest: (value) => checkPluginManifest(value),
      members: () => [],
      log: { debug: quiet }
    })
    const old = await registry.install(await packPlugin(dir.path, { plexi: '>=2.0.0 <3.0.0' }), 'admin').then(() => undefined, (e: unknown) => e)
    expect(old).to.be.instanceOf(PluginApiVersionError)
    expect((old as Error).message).to.equal('clock 1.0.0 works with the plugin API ">=2.0.0 <3.0.0", which does not include 1.0.0, the one this Plexi speaks')
    // a range that is not one is the manifest check's to refuse, naming the field
    const garbled = await registry.install(await packPlugin(dir.path, { plexi: 'one point oh' }), 'admin').then(() => undefined, (e: unknown) => e)
    expect((garbled as Error).name).to.equal('InvalidPluginManifestError')
    expect((garbled as { field?: string }).field).to.equal('plexi')
  })
})
