import { expect } from 'chai'
import { ClusterPlugins, PLUGINS_PATH, PluginNotFoundError, pluginsActor } from '../../../node/plugins/index.ts'
import type { PluginsMsg, ToolMember } from '../../../node/plugins/index.ts'
import { checkRemoteHooks } from '../../../node/plugins/cluster-plugins.ts'
import { FAST_TIMINGS, PROBE_DIR, probeManifest, testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'
import { quiet, useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { rejection, thrown } from '../../helpers/thrown.ts'

describe('ClusterPlugins', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  const hosts: TestHost[] = []
  afterEach(async () => { for (const h of hosts.splice(0)) await h.close() })

  const hostOn = async (node: TestNode): Promise<TestHost> => {
    const h = await testHost({ timings: FAST_TIMINGS })
    hosts.push(h)
    node.system.spawn(pluginsActor(h.host), { name: PLUGINS_PATH.slice(1) })
    await h.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest({}, { beforePost: { budgetMs: 150, onFailure: 'refuse' }, callDeadlineMs: 3_000 }) })
    return h
  }
  const pluginsOn = (node: TestNode, runs: Record<string, string[]>, host?: TestHost): ClusterPlugins => new ClusterPlugins({
    self: node.id,
    host: () => host?.host,
    members: (): ToolMember[] => node.cluster.members().map((m) => ({ ...m, plugins: (runs[m.peerId] ?? []).map((p) => ({ name: p, version: '1.0.0' })) })),
    ask: async <R>(peer: string, build: (replyTo: never) => PluginsMsg, timeoutMs: number): Promise<R> => await node.system.actorAt<PluginsMsg>({ node: peer, path: PLUGINS_PATH }).ask<R>(build as never, { timeout: timeoutMs }),
    log: quiet
  })

  it('should list the commands and hooks of plugins a member runs, and send them Plexi requests from a node without them', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    await hostOn(b)
    const plugins = pluginsOn(a, { [b.id]: ['probe'] })
    expect(await plugins.capabilities()).to.deep.equal([{
      plugin: 'probe',
      version: '1.0.0',
      capability: { api: '1.0.0', commands: [{ name: 'echo', description: 'says it back' }], hooks: { beforePost: true, afterPost: true } },
      beforePost: { budgetMs: 150, onFailure: 'refuse' },
      // how long a room waits for a command's answer
      callDeadlineMs: 3_000
    }])
    expect(await plugins.request('probe', 'plexi/command', { room: 'r', user: 'u', command: 'echo', args: 'hi' }, 1_000)).to.deep.equal({ text: 'echo: hi' })
    expect(await plugins.request('probe', 'plexi/before-post', { room: 'r', user: 'u', text: 'spam' }, 1_000)).to.deep.equal({ verdict: 'refuse', reason: 'looks like spam' })
    expect((await rejection(() => plugins.request('probe', 'plexi/before-post', { room: 'r', user: 'u', text: 'slow' }, 100))).name).to.equal('PluginTimeoutError')
    expect(await rejection(() => plugins.request('nope', 'plexi/command', {}, 100))).to.be.instanceOf(PluginNotFoundError)
    expect((await rejection(() => plugins.request('probe', 'tools/call', {}, 100))).name).to.equal('InvalidPluginRequestError')
  })

  it('should use this node\'s plugin when it runs one', async () => {
    const [a] = await net.of([['chat']]) as [TestNode]
    const local = await hostOn(a)
    const plugins = pluginsOn(a, {}, local)
    expect((await plugins.capabilities()).map((h) => h.plugin)).to.deep.equal(['probe'])
    expect(await plugins.request('probe', 'plexi/after-post', { room: 'r', seq: 1, user: 'u', text: 'x', ts: 1 }, 1_000)).to.deep.equal({})
  })

  it('should keep only well-formed entries of a member\'s listing', () => {
    const good = { plugin: 'probe', version: '1.0.0', capability: { api: '1.0.0' } }
    expect(checkRemoteHooks([good, { ...good, plugin: 'Bad' }, { ...good, version: 'x' }, { ...good, capability: { api: 'x' } }, { ...good, capability: undefined }, { ...good, beforePost: { budgetMs: 99_999, onFailure: 'drop' } }]))
      .to.deep.equal([good, { ...good, beforePost: {} }])
    expect(checkRemoteHooks([{ ...good, callDeadlineMs: 2_000 }, { ...good, callDeadlineMs: 0 }, { ...good, callDeadlineMs: 10_001 }, { ...good, callDeadlineMs: '5' }]))
      .to.deep.equal([{ ...good, callDeadlineMs: 2_000 }, good, good, good])
    expect(thrown(() => checkRemoteHooks({}))).to.be.instanceOf(Error)
  })
})
