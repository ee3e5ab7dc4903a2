import { expect } from 'chai'
import { PluginTimeoutError } from '../../../node/plugins/index.ts'
import type { CallOutcome } from '../../../node/plugins/index.ts'
import { InvalidToolCallError } from '../../../protocols/index.ts'
import { FAST_TIMINGS, PROBE_DIR, probeManifest, testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('source set', () => {
  let t: TestHost
  const observed: Array<[string, CallOutcome, number]> = []

  beforeEach(async () => {
    observed.length = 0
    // a crashed plugin stays down for the length of a test
    t = await testHost({ timings: { ...FAST_TIMINGS, restartFirstMs: 60_000 }, onCall: (source, outcome, seconds) => { observed.push([source, outcome, seconds]) } })
  })
  afterEach(async () => { await t.close() })

  it('should give a call the least of the caller\'s deadline, the manifest\'s and the default', async () => {
    await t.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest({}, { callDeadlineMs: 150 }) })
    const own = await rejection(() => t.host.call({ id: 'a', name: 'probe__sleep', arguments: { ms: 2_000 } }, { deadlineMs: 5_000 }))
    expect(own).to.be.instanceOf(PluginTimeoutError)
    expect((own as PluginTimeoutError).deadlineMs).to.equal(150)
    const callers = await rejection(() => t.host.call({ id: 'b', name: 'probe__sleep', arguments: { ms: 2_000 } }, { deadlineMs: 50 }))
    expect((callers as PluginTimeoutError).deadlineMs).to.equal(50)
  })

  it('should count every call by outcome and tell the observer how long it took', async () => {
    await t.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest() })
    await t.host.call({ id: 'a', name: 'probe__echo', arguments: { text: 'x' } })
    await t.host.call({ id: 'b', name: 'probe__fail', arguments: {} })
    await rejection(() => t.host.call({ id: 'c', name: 'probe__sleep', arguments: { ms: 2_000 } }, { deadlineMs: 20 }))
    await rejection(() => t.host.call({ id: 'd', name: 'probe__crash', arguments: {} }))
    await rejection(() => t.host.request('probe', 'plexi/command', { room: 'r', user: 'u', command: 'x', args: '' }, 1_000))
    expect(observed.map(([source, outcome]) => `${source}:${outcome}`)).to.deep.equal(['probe:ok', 'probe:error', 'probe:timeout', 'probe:unavailable', 'probe:unavailable'])
    expect(observed.every(([, , seconds]) => seconds >= 0 && seconds < 60)).to.equal(true)
    expect(Object.fromEntries(t.host.calls)).to.deep.equal({ 'probe\0ok': 1, 'probe\0error': 1, 'probe\0timeout': 1, 'probe\0unavailable': 2 })
  })

  it('should not count a call refused before it reached a source', async () => {
    await t.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest() })
    expect(await rejection(() => t.host.call({ id: 'a', name: 'probe__none', arguments: {} }))).to.be.instanceOf(InvalidToolCallError)
    expect(observed).to.deep.equal([])
  })
})
