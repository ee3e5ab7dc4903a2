import { expect } from 'chai'
import { ClusterTools, PLUGINS_PATH, pluginsActor } from '../../../node/plugins/index.ts'
import type { PluginsMsg, ToolMember, ToolPolicy } from '../../../node/plugins/index.ts'
import { InvalidToolCallError, ToolDeniedError } from '../../../protocols/index.ts'
import { FAST_TIMINGS, PROBE_DIR, probeManifest, testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'
import { quiet, useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('ClusterTools', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  const hosts: TestHost[] = []
  afterEach(async () => { for (const h of hosts.splice(0)) await h.close() })

  /** A plugin host on `node`, answering its `/plugins`, running the probe as `name`. */
  const hostOn = async (node: TestNode, name = 'probe'): Promise<TestHost> => {
    // a crashed plugin stays down for the length of a test
    const h = await testHost({ timings: { ...FAST_TIMINGS, restartFirstMs: 60_000 } })
    hosts.push(h)
    node.system.spawn(pluginsActor(h.host), { name: PLUGINS_PATH.slice(1) })
    await h.host.start({ name, version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest({}, { name }) })
    return h
  }
  /** ClusterTools on `node`; `runs`: what each member's record says it runs. */
  const toolsOn = (node: TestNode, runs: Record<string, string[]>, opts: { host?: TestHost, allowed?: ToolPolicy } = {}): ClusterTools => new ClusterTools({
    self: node.id,
    host: () => opts.host?.host,
    members: (): ToolMember[] => node.cluster.members().map((m) => ({ ...m, plugins: (runs[m.peerId] ?? []).map((p) => ({ name: p, version: '1.0.0' })) })),
    ask: async <R>(peer: string, build: (replyTo: never) => PluginsMsg, timeoutMs: number): Promise<R> => await node.system.actorAt<PluginsMsg>({ node: peer, path: PLUGINS_PATH }).ask<R>(build as never, { timeout: timeoutMs }),
    ...(opts.allowed !== undefined && { allowed: opts.allowed }),
    log: quiet
  })
  const everyone: ToolPolicy = async () => true

  it('should list and call, from a node without it, a plugin a member runs', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    await hostOn(b)
    const tools = toolsOn(a, { [b.id]: ['probe'] }, { allowed: everyone })
    expect((await tools.tools('alice')).map((t) => t.name)).to.include.members(['probe__echo', 'probe__pid'])
    expect(await tools.call('alice', { id: '1', name: 'probe__echo', arguments: { text: 'across' } })).to.deep.equal({ callId: '1', isError: false, text: 'across' })
  })

  it('should allow nothing without a policy, and only what the policy allows with one', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    await hostOn(b)
    const none = toolsOn(a, { [b.id]: ['probe'] })
    expect(await none.tools('alice')).to.deep.equal([])
    expect((await none.all()).length).to.be.above(0)
    expect(await rejection(() => none.call('alice', { id: '1', name: 'probe__echo', arguments: {} }))).to.be.instanceOf(ToolDeniedError)
    const some = toolsOn(a, { [b.id]: ['probe'] }, { allowed: async (user, t) => user === 'alice' && t.name === 'probe__echo' })
    expect((await some.tools('alice')).map((t) => t.name)).to.deep.equal(['probe__echo'])
    expect(await some.tools('bob')).to.deep.equal([])
    expect(await rejection(() => some.call('alice', { id: '1', name: 'probe__pid', arguments: {} }))).to.be.instanceOf(ToolDeniedError)
    expect(await rejection(() => some.call('alice', { id: '1', name: 'probe__nope', arguments: {} }))).to.be.instanceOf(InvalidToolCallError)
    expect(await rejection(() => some.call('alice', { id: '1', name: 'probe__echo', arguments: [] as never }))).to.be.instanceOf(InvalidToolCallError)
  })

  it('should answer a plugin\'s crash or timeout on the other member as an error result the model reads', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    await hostOn(b)
    const tools = toolsOn(a, { [b.id]: ['probe'] }, { allowed: everyone })
    const late = await tools.call('alice', { id: '1', name: 'probe__sleep', arguments: { ms: 2_000 } }, { deadlineMs: 100 })
    expect(late).to.deep.equal({ callId: '1', isError: true, text: 'plugin probe did not answer the call of sleep within 100 ms' })
    const crashed = await tools.call('alice', { id: '2', name: 'probe__crash', arguments: {} })
    expect(crashed.isError).to.equal(true)
    expect(crashed.text).to.match(/plugin probe@1.0.0 is unavailable: it crashed/)
    const down = await tools.call('alice', { id: '3', name: 'probe__echo', arguments: { text: 'x' } })
    expect(down.text).to.match(/restarting after it crashed/)
  })

  it('should call on this node when it runs the plugin, and on the next member when a record is stale', async () => {
    const [a, b, c] = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const local = await hostOn(a)
    const here = toolsOn(a, { [b.id]: ['probe'] }, { host: local, allowed: everyone })
    expect((await here.call('alice', { id: '1', name: 'probe__pid', arguments: {} })).text).to.equal(String(local.host.running()[0]?.pid))
    // the member tried first still says it runs `other`, but runs something else now: the next answers
    const [first, second] = [b, c].sort((x, y) => (x.id < y.id ? -1 : 1)) as [TestNode, TestNode]
    await hostOn(first, 'unrelated')
    const runner = await hostOn(second, 'other')
    const stale = toolsOn(a, { [first.id]: ['other'], [second.id]: ['other'] }, { allowed: everyone })
    const pid = (await stale.call('alice', { id: '2', name: 'other__pid', arguments: {} })).text
    expect(pid).to.equal(String(runner.host.running()[0]?.pid))
  })
})
