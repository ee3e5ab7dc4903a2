import { expect } from 'chai'
import { Registry } from 'prom-client'
import { MeshRoomPlugins, PluginAnswerError, PluginNotRunningError, roomPluginMetrics } from '../../../node/room-plugins/index.ts'
import type { RoomPluginInfo, RoomPluginSource } from '../../../node/room-plugins/index.ts'
import { StdioPluginHost } from '../../helpers/stdio-plugin-host.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const QUIET = { warn: () => undefined }

describe('MeshRoomPlugins', function () {
  this.timeout(30_000)

  it('should rebuild the view only when the host\'s list is another array', () => {
    let list: readonly RoomPluginInfo[] = [{ name: 'dice', capability: { commands: [{ name: 'roll', description: '' }] } }]
    const source: RoomPluginSource = { plugins: () => list, request: async () => ({}) }
    const plugins = new MeshRoomPlugins({ source, metrics: roomPluginMetrics(new Registry()), log: QUIET })
    const first = plugins.view()
    expect(plugins.view()).to.equal(first)
    expect([...first.commands.keys()]).to.deep.equal(['roll'])
    list = [...list, { name: 'mod', capability: { hooks: { beforePost: true } } }]
    const second = plugins.view()
    expect(second).to.not.equal(first)
    expect(second.beforePost.map((h) => h.plugin)).to.deep.equal(['mod'])
  })

  it('should send requests to a real plugin through the host, checking its answers, and refuse one to a plugin that runs nowhere', async () => {
    const dir = await tempDir()
    const host = new StdioPluginHost(dir.path)
    try {
      await host.start('dice', { commands: ['echo', 'bad'], beforePost: true })
      const registry = new Registry()
      const plugins = new MeshRoomPlugins({ source: host, metrics: roomPluginMetrics(registry), log: QUIET })
      expect([...plugins.view().commands.keys()]).to.deep.equal(['echo', 'bad'])
      expect(await plugins.request('dice', 'plexi/command', { room: 'r', user: 'ann', command: 'echo', args: 'hi' }, 5_000)).to.deep.equal({ text: 'hi' })
      expect(await plugins.request('dice', 'plexi/before-post', { room: 'r', user: 'ann', text: 'forbidden' }, 5_000))
        .to.deep.equal({ verdict: 'refuse', reason: 'the word "forbidden" is not allowed here' })
      const bad = await plugins.request('dice', 'plexi/command', { room: 'r', user: 'ann', command: 'bad', args: '' }, 5_000).then(() => undefined, (e: unknown) => e)
      expect(bad).to.be.instanceOf(PluginAnswerError)
      const nowhere = await plugins.request('nobody', 'plexi/after-post', { room: 'r', seq: 1, user: 'ann', text: 'x', ts: 1 }, 5_000).then(() => undefined, (e: unknown) => e)
      expect(nowhere).to.be.instanceOf(PluginNotRunningError)
      plugins.record({ hook: 'command', plugin: 'dice', outcome: 'answered' })
      expect(await registry.metrics()).to.include('plexi_plugin_commands_total{plugin="dice",outcome="answered"} 1')
    } finally {
      await host.close()
      await dir.remove()
    }
  })
})
