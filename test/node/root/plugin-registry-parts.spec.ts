import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PLUGIN_REGISTRY_PATH, PluginCallStats } from '../../../node/plugin-registry/index.ts'
import type { MemberPluginStatus } from '../../../node/plugin-registry/index.ts'
import { pluginRegistryPart, startParts } from '../../../node/root/index.ts'
import type { Components, PluginNodeComponents } from '../../../node/root/index.ts'
import { testManifestCheck } from '../../helpers/manifest-check.ts'
import { scrape } from '../../helpers/metric-text.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'
import { TestPluginLauncher } from '../../helpers/plugin-launcher.ts'
import { pluginPackage } from '../../helpers/plugin-packages.ts'

describe('plugin registry part', function () {
  this.timeout(60_000)
  let node: StartedParts | undefined
  let launcher: TestPluginLauncher | undefined
  afterEach(async () => {
    await node?.stop()
    await launcher?.close()
    node = undefined
    launcher = undefined
  })

  /** The node's parts up to `stats`, then the registry's part with `host` as the node's plugin host
   * and `calls` fed by it (as the host's part gives them). */
  const start = async (role: string, host: TestPluginLauncher | undefined, calls?: PluginCallStats): Promise<Components<PluginNodeComponents>> => {
    node = await startPartsUpTo('stats', { flags: { role } })
    const c = node.c as unknown as Components<PluginNodeComponents>
    c.provide('pluginHost', host, 'the plugin host')
    c.provide('pluginCalls', calls, 'the plugin host')
    await startParts(node.lifecycle, [pluginRegistryPart(testManifestCheck)], c)
    return c
  }

  it('should run an installed plugin on a plugins-role node with a host, unpacked under its data dir, and export its metrics', async () => {
    const calls = new PluginCallStats()
    launcher = new TestPluginLauncher({ onCall: (source, outcome, seconds) => { calls.observe(source, outcome, seconds) } })
    const c = await start('chat,storage,plugins', launcher, calls)
    expect(node?.lifecycle.started).to.include('plugin-registry')
    const reconciler = c.get('pluginReconciler')
    expect(reconciler).to.not.equal(undefined)
    const installed = await c.get('pluginRegistry').install(await pluginPackage(node?.dir ?? ''), 'admin')
    expect(installed.installed).to.equal(true)
    await reconciler?.reconcile()
    expect(await launcher.call('clock', 'echo', { text: 'part' })).to.equal('1.0.0:part')
    expect(existsSync(join(c.get('config').dataDir, 'plugins', 'clock', '1.0.0', 'plexi-plugin.json'))).to.equal(true)
    const text = await scrape(c.get('metrics').registry)
    expect(text).to.match(/^plexi_plugin_registry_starts_total 1$/m)
    expect(text).to.match(/^plexi_plugin_registry_installs_total 1$/m)
    const listed = await c.get('pluginRegistry').list()
    expect(listed.plugins[0]?.nodes.map((n) => [n.node, n.state, n.calls])).to.deep.equal([[c.get('system').node, 'running', 1]])
    expect(listed.plugins[0]?.nodes[0]?.memoryBytes, 'its process\'s memory').to.be.above(0)
  })

  it('should keep the admin side and /plugin-registry on a node without a host, running nothing; with no plugins-role member, say so', async () => {
    const c = await start('chat,storage', undefined)
    expect(c.get('pluginReconciler')).to.equal(undefined)
    const system = c.get('system')
    const status = await system.actorAt({ node: system.node, path: PLUGIN_REGISTRY_PATH }).ask<MemberPluginStatus>((replyTo) => ({ type: 'status', replyTo }))
    expect(status).to.deep.equal({ node: system.node, runs: false, plugins: [], failures: [] })
    // the catalog lives on a plugins-role member: with none up, the listing is unavailable, and says why
    const refused = await c.get('pluginRegistry').list().then(() => undefined, (e: unknown) => e)
    expect((refused as Error).name).to.equal('NoOwnerError')
    expect((refused as Error).message).to.match(/^no member that is up holds the plugins role/)
  })
})
