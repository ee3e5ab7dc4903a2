import { expect } from 'chai'
import { ROOM } from '../../../actors/index.ts'
import type { PostAck } from '../../../actors/index.ts'
import { PLUGINS_PATH } from '../../../node/plugins/index.ts'
import type { PluginsMsg, SourceRow } from '../../../node/plugins/index.ts'
import type { ToolResult } from '../../../protocols/index.ts'
import { startPartsUpTo } from '../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../helpers/node-parts-fixture.ts'
import { PROBE_DIR, probeManifest } from '../../helpers/plugin-fixture.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('plugin parts', () => {
  let node: StartedParts | undefined
  afterEach(async () => { await node?.stop(); node = undefined })

  it('should run the host on a plugins-role node: /plugins answers, the record says what runs, tools are denied until granted', async () => {
    node = await startPartsUpTo('tools', { flags: { role: 'chat,storage,plugins' } })
    const { c } = node
    const host = c.get('pluginHost')
    expect(host).to.not.equal(undefined)
    await host?.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest() })
    expect(c.get('self').member().plugins).to.deep.equal([{ name: 'probe', version: '1.0.0' }])
    const system = c.get('system')
    const plugins = system.actorAt<PluginsMsg>({ node: system.node, path: PLUGINS_PATH })
    const rows = await plugins.ask<SourceRow[]>((replyTo) => ({ type: 'running', replyTo }))
    expect(rows.map((r) => [r.name, r.version, r.state, r.permissions])).to.deep.equal([['probe', '1.0.0', 'up', {}]])
    const result = await plugins.ask<ToolResult>((replyTo) => ({ type: 'call', call: { id: 'x', name: 'probe__echo', arguments: { text: 'hi' } }, deadlineMs: 1_000, replyTo }))
    expect(result).to.deep.equal({ callId: 'x', isError: false, text: 'hi' })
    expect((await rejection(() => plugins.ask((replyTo) => ({ type: 'call', call: { id: 'x', name: 'probe__echo', arguments: {} }, deadlineMs: 0, replyTo })))).message).to.match(/deadlineMs/)
    const tools = c.get('tools')
    expect((await tools.all()).map((t) => t.name)).to.include('probe__echo')
    expect(await tools.tools('alice')).to.deep.equal([])
    expect((await rejection(() => tools.call('alice', { id: 'x', name: 'probe__echo', arguments: {} }))).name).to.equal('ToolDeniedError')
  })

  it('should run no host on a node without the role, and still give its tools (none) and the servers\' registry', async () => {
    node = await startPartsUpTo('tools')
    expect(node.c.get('pluginHost')).to.equal(undefined)
    expect(await node.c.get('tools').all()).to.deep.equal([])
    expect(node.c.get('system').lookup(PLUGINS_PATH)).to.equal(undefined)
  })

  it('should give the agents search built in: plexi__search offered once granted, searching as the user', async () => {
    node = await startPartsUpTo('tools')
    const { c } = node
    await c.get('system').entity(ROOM, 'plans').ask<PostAck>((replyTo) => ({ type: 'post', user: 'bob', text: 'we decided on postgres', replyTo }))
    await c.get('searchIndex')?.settled()
    const port = c.get('toolsPort')
    expect(await port.tools('alice'), 'not offered until granted').to.deep.equal([])
    await c.get('toolPolicy').grant('alice', ['plexi__search'])
    expect((await port.tools('alice')).map((t) => [t.name, t.source.kind])).to.deep.equal([['plexi__search', 'builtin']])
    const answer = await port.call('alice', { id: 'c1', name: 'plexi__search', arguments: { query: 'postgres', days: 7 } })
    expect(answer.isError).to.equal(false)
    expect(answer.text).to.match(/^room plans #\d+, bob, \d{4}-.*: we decided on postgres$/)
  })

  it('should keep the node\'s chat and its agents\' tool calls answering while a plugin crashes, hangs and blows its memory', async function () {
    this.timeout(60_000)
    node = await startPartsUpTo('tools', { flags: { role: 'chat,storage,plugins' } })
    const { c } = node
    c.get('state').becomeReady()
    const host = c.get('pluginHost')
    if (host === undefined) throw new Error('no host')
    await host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest({ memoryMiB: 64 }) })
    // the healthy plugin an agent keeps calling meanwhile
    await host.start({ name: 'steady', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest({}, { name: 'steady' }) })
    const room = c.get('system').entity(ROOM, 'general')
    let posts = 0
    let toolCalls = 0
    let running = true
    const chat = (async () => {
      while (running) {
        await room.ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: `post ${posts}`, replyTo }), { timeout: 5_000 })
        posts++
      }
    })()
    const agent = (async () => {
      while (running) {
        const r = await host.call({ id: `a${toolCalls}`, name: 'steady__echo', arguments: { text: 'still here' } }, { deadlineMs: 5_000 })
        if (r.text !== 'still here') throw new Error(`the steady plugin answered ${r.text}`)
        toolCalls++
      }
    })()
    const probe = () => host.running().find((r) => r.name === 'probe')
    const troubles: Array<[string, Record<string, unknown>, string]> = [['crash', {}, 'crashes'], ['hang', {}, 'hangs'], ['grow', { mib: 400 }, 'memoryKills']]
    for (const [tool, args, counter] of troubles) {
      const before = { posts, toolCalls }
      const err = await rejection(() => host.call({ id: tool, name: `probe__${tool}`, arguments: args }, { deadlineMs: 300 }))
      expect(err.name, tool).to.be.oneOf(['PluginUnavailableError', 'PluginTimeoutError'])
      await waitFor(() => (probe() as unknown as Record<string, number>)[counter] === 1 && probe()?.state === 'up', `the probe back up after its ${tool}`, { timeout: 15_000 })
      // a hung plugin is killed only once it missed its ping (seconds): the node answered meanwhile
      if (tool === 'hang') expect([posts > before.posts, toolCalls > before.toolCalls], 'chat and tool calls answered while the probe hung').to.deep.equal([true, true])
      await waitFor(() => posts > before.posts + 5 && toolCalls > before.toolCalls + 5, `chat and tool calls going on after the ${tool}`, { timeout: 10_000 })
    }
    running = false
    await Promise.all([chat, agent])
    expect(probe()).to.include({ crashes: 1, hangs: 1, memoryKills: 1, restarts: 3 })
  })
})
