import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { PLUGINS_PATH, PluginNotFoundError, pluginsActor } from '../../../node/plugins/index.ts'
import type { PluginsMsg, SourceRow } from '../../../node/plugins/index.ts'
import type { ToolResult, ToolSpec } from '../../../protocols/index.ts'
import { PROBE_DIR, probeManifest, testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('plugins actor', () => {
  let t: TestHost
  let system: ActorSystem

  beforeEach(async () => {
    t = await testHost()
    system = new ActorSystem({ node: 'n1' })
    system.spawn(pluginsActor(t.host), { name: PLUGINS_PATH.slice(1) })
    await t.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest({ env: ['TZ'] }) })
  })
  afterEach(async () => { await system.terminate(); await t.close() })

  const ask = async <R>(msg: Record<string, unknown>): Promise<R> => await system.actorAt<PluginsMsg>({ node: 'n1', path: PLUGINS_PATH }).ask<R>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 })

  it('should answer tools, calls, Plexi requests, what runs and logs for this node', async () => {
    expect((await ask<ToolSpec[]>({ type: 'tools' })).map((tool) => tool.name)).to.include('probe__echo')
    expect(await ask<ToolResult>({ type: 'call', call: { id: '1', name: 'probe__echo', arguments: { text: 'a' } }, deadlineMs: 1_000 })).to.deep.equal({ callId: '1', isError: false, text: 'a' })
    expect(await ask({ type: 'request', plugin: 'probe', method: 'plexi/command', params: { room: 'r', user: 'u', command: 'c', args: 'x' }, deadlineMs: 1_000 })).to.deep.equal({ text: 'c: x' })
    const [row] = await ask<SourceRow[]>({ type: 'running' })
    expect(row).to.deep.include({ kind: 'plugin', name: 'probe', version: '1.0.0', state: 'up', active: true, restarts: 0, lastExit: null, permissions: { env: ['TZ'] } })
    expect(JSON.stringify(row)).to.not.include('undefined')
    expect(await ask({ type: 'logs', name: 'probe' })).to.be.an('array')
    expect(await ask({ type: 'capabilities' })).to.deep.equal([{ plugin: 'probe', version: '1.0.0', capability: t.host.capability('probe') }])
  })

  it('should answer a slow call without holding the next ask', async () => {
    const slow = ask<ToolResult>({ type: 'call', call: { id: 's', name: 'probe__sleep', arguments: { ms: 500 } }, deadlineMs: 5_000 })
    expect((await ask<ToolResult>({ type: 'call', call: { id: 'f', name: 'probe__echo', arguments: { text: 'first' } }, deadlineMs: 1_000 })).text).to.equal('first')
    expect((await slow).text).to.equal('slept 500')
  })

  it('should refuse malformed asks and what the host refuses, and go on answering', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ type: 'explode' }, /unknown plugins request "explode"/], [{ type: 'call', call: { id: '1', name: 'probe__echo', arguments: {} }, deadlineMs: 60_000 }, /deadlineMs/],
      [{ type: 'call', call: 'x', deadlineMs: 100 }, /a tool call is an object/], [{ type: 'request', plugin: '../x', method: 'plexi/command', params: {}, deadlineMs: 100 }, /plugin: expected/],
      [{ type: 'request', plugin: 'probe', method: 'tools/list', params: {}, deadlineMs: 100 }, /method: expected/], [{ type: 'logs', name: 'probe', version: 'new' }, /version/]
    ]
    for (const [msg, why] of cases) expect((await rejection(() => ask(msg))).message, JSON.stringify(msg)).to.match(why)
    expect(await rejection(() => ask({ type: 'logs', name: 'nope' }))).to.be.instanceOf(PluginNotFoundError)
    expect((await ask<ToolSpec[]>({ type: 'tools' })).length).to.be.above(0)
  })

  it('should say which registered servers it could not connect, from its ServerSync (none without one)', async () => {
    expect(await ask({ type: 'server-failures' })).to.deep.equal([])
    const failing = [{ name: 'broken', error: 'spawn /no/such ENOENT', streak: 2, retryAt: 1_000 }]
    const other = new ActorSystem({ node: 'n2' })
    try {
      other.spawn(pluginsActor(t.host, { failing: () => failing }), { name: PLUGINS_PATH.slice(1) })
      expect(await other.actorAt<PluginsMsg>({ node: 'n2', path: PLUGINS_PATH }).ask((replyTo) => ({ type: 'server-failures', replyTo }), { timeout: 5_000 })).to.deep.equal(failing)
    } finally {
      await other.terminate()
    }
  })
})
