import { expect } from 'chai'
import { MAX_JUDGED_POSTS, PostHookUnavailableError, PostRefusedError, judge } from '../../../actors/index.ts'
import type { PlexiMethod, PlexiRequests, RoomPluginOutcome, RoomPluginView, RoomPlugins } from '../../../actors/index.ts'
import { kindOf } from '../../../protocols/index.ts'
import * as grpc from '@grpc/grpc-js'
import { GrpcServices, callFailure } from '../../helpers/grpc-services.ts'
import { RoomPluginRig } from '../../helpers/room-plugin-rig.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const failureOf = async (p: Promise<unknown>): Promise<Error | undefined> => await p.then(() => undefined, (e: unknown) => e as Error)

describe('before-post hooks', function () {
  this.timeout(60_000)
  let rig: RoomPluginRig
  beforeEach(async () => {
    rig = await RoomPluginRig.open()
  })
  afterEach(async () => { await rig.close() })

  it('should store a post every hook allows, and refuse one a hook refuses with PERMISSION_DENIED naming the plugin and its reason, storing nothing', async () => {
    await rig.host.start('mod', { beforePost: true })
    expect((await rig.post('general', 'alice', 'hello')).seq).to.equal(1)
    const err = await failureOf(rig.post('general', 'bob', 'a forbidden word', 'c-1'))
    expect(err).to.be.instanceOf(PostRefusedError)
    expect(kindOf(err)).to.equal('denied')
    expect(err?.message).to.equal('post refused by plugin mod: the word "forbidden" is not allowed here')
    expect((await rig.post('general', 'carol', 'after')).seq).to.equal(2)
    expect((await rig.history('general')).map((m) => m.text)).to.deep.equal(['hello', 'after'])
    const judged = await rig.host.logged('mod', 'plexi/before-post')
    expect(judged.map((r) => r.params)).to.deep.equal([
      { room: 'general', user: 'alice', text: 'hello' }, { room: 'general', user: 'bob', text: 'a forbidden word' }, { room: 'general', user: 'carol', text: 'after' }])
    expect(await rig.metric('plexi_plugin_before_post_total', { plugin: 'mod', outcome: 'allowed' })).to.equal(2)
    expect(await rig.metric('plexi_plugin_before_post_total', { plugin: 'mod', outcome: 'refused' })).to.equal(1)
  })

  it('should keep a refused client id unused (a retry is judged again) and a stored one idempotent (a retry is not judged again)', async () => {
    await rig.host.start('mod', { beforePost: true })
    expect(await failureOf(rig.post('general', 'bob', 'forbidden', 'c-1'))).to.be.instanceOf(PostRefusedError)
    expect(await failureOf(rig.post('general', 'bob', 'forbidden', 'c-1'))).to.be.instanceOf(PostRefusedError)
    const first = await rig.post('general', 'bob', 'now fine', 'c-1')
    const again = await rig.post('general', 'bob', 'now fine', 'c-1')
    expect(again).to.deep.equal(first)
    // retries that come while the first is judged get its answer, and are not judged themselves
    const [a, b, c] = await Promise.all([rig.post('general', 'bob', 'x', 'c-2'), rig.post('general', 'bob', 'x', 'c-2'), rig.post('general', 'bob', 'x', 'c-2')])
    expect(b).to.deep.equal(a)
    expect(c).to.deep.equal(a)
    expect((await rig.history('general')).map((m) => m.text)).to.deep.equal(['now fine', 'x'])
    expect((await rig.host.logged('mod', 'plexi/before-post')).length).to.equal(4)
  })

  it('should apply the plugin\'s policy when it gives no verdict in its budget, crashes or answers nonsense, and count each', async () => {
    await rig.host.start('lenient', { beforePost: true }, { beforePost: { budgetMs: 300 } })
    await rig.host.start('strict', { beforePost: true }, { beforePost: { budgetMs: 300, onFailure: 'refuse' } })
    // both time out: lenient allows, strict refuses (UNAVAILABLE: a retry may pass)
    const slow = await failureOf(rig.post('r', 'alice', 'slowhook'))
    expect(slow).to.be.instanceOf(PostHookUnavailableError)
    expect(kindOf(slow)).to.equal('unavailable')
    expect(slow?.message).to.equal('post refused: plugin strict\'s before-post hook gave no verdict (plugin strict did not answer plexi/before-post within 300 ms) and its policy refuses posts then; retry')
    expect(await failureOf(rig.post('r', 'alice', 'garbage'))).to.be.instanceOf(PostHookUnavailableError)
    await rig.host.remove('strict')
    // lenient alone: nonsense, a timeout and a crash all let the post through
    expect((await rig.post('r', 'alice', 'garbage')).seq).to.equal(1)
    expect((await rig.post('r', 'alice', 'slowhook again')).seq).to.equal(2)
    expect((await rig.post('r', 'alice', 'crashhook')).seq).to.equal(3)
    expect((await rig.post('r', 'alice', 'while it is down')).seq).to.equal(4)
    expect(await rig.metric('plexi_plugin_before_post_failures_total', { plugin: 'lenient', policy: 'allow' })).to.equal(6)
    expect(await rig.metric('plexi_plugin_before_post_failures_total', { plugin: 'strict', policy: 'refuse' })).to.equal(2)
    expect((await rig.history('r')).map((m) => m.text)).to.deep.equal(['garbage', 'slowhook again', 'crashhook', 'while it is down'])
  })

  it('should store posts in the order they came while they are judged, commands included, and never hold a room past the budget', async () => {
    await rig.host.start('mod', { beforePost: true, commands: ['echo'] }, { beforePost: { budgetMs: 300 } })
    const posts = ['one', 'slowhook two', 'three', 'forbidden four', '/echo five']
    const results = await Promise.allSettled(posts.map(async (text) => await rig.post('ordered', 'alice', text)))
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    await waitFor(async () => (await rig.history('ordered')).length === 5, 'the answer of /echo')
    expect((await rig.history('ordered')).map((m) => [m.seq, m.user, m.text])).to.deep.equal([
      [1, 'alice', 'one'], [2, 'alice', 'slowhook two'], [3, 'alice', 'three'], [4, 'alice', '/echo five'], [5, 'mod[bot]', 'five']])
  })

  it(`should refuse a post past ${MAX_JUDGED_POSTS} waiting for verdicts (RESOURCE_EXHAUSTED), storing nothing of it`, async () => {
    await rig.host.start('mod', { beforePost: true }, { beforePost: { budgetMs: 500 } })
    const waiting = Array.from({ length: MAX_JUDGED_POSTS }, async (_v, i) => await rig.post('full', 'alice', `slowhook ${i}`))
    const err = await failureOf(rig.post('full', 'alice', 'one too many'))
    expect(err?.name).to.equal('RoomBacklogError')
    expect(kindOf(err)).to.equal('exhausted')
    expect((await Promise.all(waiting)).map((a) => a.seq)).to.deep.equal(Array.from({ length: MAX_JUDGED_POSTS }, (_v, i) => i + 1))
  })
})

describe('before-post hooks, as a gRPC client sees them', function () {
  this.timeout(60_000)
  it('should fail a refused Post with PERMISSION_DENIED naming the plugin and its reason, and a strict hook\'s silence with UNAVAILABLE', async () => {
    const rig = await RoomPluginRig.open()
    const services = await GrpcServices.start({}, {}, { plugins: rig.plugins })
    try {
      await rig.host.start('mod', { beforePost: true }, { beforePost: { budgetMs: 200, onFailure: 'refuse' } })
      const ann = services.chat(services.annToken)
      expect((await ann.call<{ seq: number }>('Post', { room: 'general', text: 'hi', clientId: 'p-1' })).seq).to.equal(1)
      const refused = await callFailure(ann.call('Post', { room: 'general', text: 'forbidden', clientId: 'p-2' }))
      expect(refused.code).to.equal(grpc.status.PERMISSION_DENIED)
      expect(refused.details).to.equal('post refused by plugin mod: the word "forbidden" is not allowed here')
      const silent = await callFailure(ann.call('Post', { room: 'general', text: 'slowhook', clientId: 'p-3' }))
      expect(silent.code).to.equal(grpc.status.UNAVAILABLE)
      expect(silent.details).to.match(/^post refused: plugin mod's before-post hook gave no verdict \(plugin mod did not answer plexi\/before-post within 200 ms\)/)
      const history = await ann.call<{ messages: Array<{ text: string }> }>('History', { room: 'general', after: 0, limit: 10 })
      expect(history.messages.map((m) => m.text)).to.deep.equal(['hi'])
    } finally {
      await services.stop()
      await rig.close()
    }
  })
})

describe('judge', () => {
  const view: RoomPluginView = { commands: new Map(), beforePost: [], afterPost: [] }
  /** RoomPlugins whose request answers from `answers` (or never, for undefined). */
  const pluginsAnswering = (answers: Record<string, () => Promise<unknown>>, seen: RoomPluginOutcome[]): RoomPlugins => ({
    view: () => view,
    request: async <K extends PlexiMethod>(plugin: string) => await (answers[plugin] as () => Promise<PlexiRequests[K]['result']>)(),
    record: (o) => { seen.push(o) }
  })

  it('should refuse as soon as one hook refuses, without waiting for the others, and allow once all allowed', async () => {
    const seen: RoomPluginOutcome[] = []
    const plugins = pluginsAnswering({ a: async () => await new Promise(() => undefined), b: async () => ({ verdict: 'refuse', reason: 'no' }) }, seen)
    const verdict = await judge(plugins, [{ plugin: 'a', budgetMs: 60_000, onFailure: 'allow' }, { plugin: 'b', budgetMs: 60_000, onFailure: 'allow' }], { room: 'r', user: 'u', text: 't' })
    expect(verdict.ok).to.equal(false)
    expect(verdict.ok ? undefined : verdict.error.message).to.equal('post refused by plugin b: no')
    const allowing = pluginsAnswering({ a: async () => ({ verdict: 'allow' }), b: async () => ({ verdict: 'allow' }) }, seen)
    expect(await judge(allowing, [{ plugin: 'a', budgetMs: 100, onFailure: 'refuse' }, { plugin: 'b', budgetMs: 100, onFailure: 'refuse' }], { room: 'r', user: 'u', text: 't' })).to.deep.equal({ ok: true })
    expect(seen.map((o) => `${o.plugin}:${o.outcome}`)).to.deep.equal(['b:refused', 'a:allowed', 'b:allowed'])
  })

  it('should hold each hook to its budget even when the plugin\'s request itself never settles', async () => {
    const seen: RoomPluginOutcome[] = []
    const plugins = pluginsAnswering({ a: async () => await new Promise(() => undefined) }, seen)
    const verdict = await judge(plugins, [{ plugin: 'a', budgetMs: 30, onFailure: 'refuse' }], { room: 'r', user: 'u', text: 't' })
    expect(verdict.ok ? '' : verdict.error.message).to.match(/did not answer plexi\/before-post within 30 ms/)
    expect(seen).to.deep.equal([{ hook: 'before-post', plugin: 'a', outcome: 'failed', policy: 'refuse' }])
  })
})
