import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PLUGIN_REGISTRY_PATH } from '../../../node/plugin-registry/index.ts'
import type { MemberPluginStatus } from '../../../node/plugin-registry/index.ts'
import type { Components, NodeComponents } from '../../../node/root/index.ts'
import { scrape } from '../../helpers/metric-text.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'
import { pluginPackage } from '../../helpers/plugin-packages.ts'

describe('plugin registry part', function () {
  this.timeout(60_000)
  let node: StartedParts | undefined
  afterEach(async () => {
    await node?.stop()
    node = undefined
  })

  /** The node's parts up to the registry's, with the node's own plugin host where it holds the role. */
  const start = async (role: string): Promise<Components<NodeComponents>> => {
    node = await startPartsUpTo('plugin-registry', { flags: { role } })
    return node.c
  }

  it('should run an installed plugin on a plugins-role node through its host, unpacked under its data dir, and export its metrics', async () => {
    const c = await start('chat,storage,plugins')
    expect(node?.lifecycle.started).to.include.members(['plugins', 'tools', 'plugin-registry'])
    const reconciler = c.get('pluginReconciler')
    expect(reconciler).to.not.equal(undefined)
    const installed = await c.get('pluginRegistry').install(await pluginPackage(node?.dir ?? ''), 'admin')
    expect(installed.installed).to.equal(true)
    await reconciler?.reconcile()
    const host = c.get('pluginHost')
    const answer = await host?.call({ id: 'c1', name: 'clock__echo', arguments: { text: 'part' } }, { deadlineMs: 5_000 })
    expect(answer).to.deep.equal({ callId: 'c1', isError: false, text: '1.0.0:part' })
    expect(existsSync(join(c.get('config').dataDir, 'plugins', 'clock', '1.0.0', 'plexi-plugin.json'))).to.equal(true)
    const text = await scrape(c.get('metrics').registry)
    expect(text).to.match(/^plexi_plugin_registry_starts_total 1$/m)
    expect(text).to.match(/^plexi_plugin_registry_installs_total 1$/m)
    const listed = await c.get('pluginRegistry').list()
    expect(listed.plugins[0]?.nodes.map((n) => [n.node, n.state, n.calls])).to.deep.equal([[c.get('system').node, 'running', 1]])
    expect(listed.plugins[0]?.nodes[0]?.memoryBytes, 'its process\'s memory').to.be.above(0)
  })

  it('should keep the admin side and /plugin-registry on a node without a host, running nothing; with no plugins-role member, say so', async () => {
    const c = await start('chat,storage')
    expect(c.get('pluginHost')).to.equal(undefined)
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
