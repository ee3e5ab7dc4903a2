import { expect } from 'chai'
import { PluginStartError, PluginTimeoutError, PluginUnavailableError } from '../../../node/plugins/index.ts'
import { FAST_TIMINGS, PROBE_DIR, callText, probeManifest, testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('source supervisor', () => {
  let t: TestHost

  beforeEach(async () => { t = await testHost() })
  afterEach(async () => { await t.close() })

  const start = async (entry = 'probe.mjs', permissions = {}): Promise<void> => {
    await t.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest(permissions, {}, entry) })
  }
  const probe = () => t.host.running()[0]!
  const upAgain = async (restarts: number): Promise<void> => {
    await waitFor(() => probe().state === 'up' && probe().restarts === restarts, `the probe up again after ${restarts} restarts`, { timeout: 10_000 })
  }

  it('should fail the calls in flight at once when the plugin crashes, and start it again', async () => {
    await start()
    const pid = probe().pid
    const slow = t.host.call({ id: 's', name: 'probe__sleep', arguments: { ms: 30_000 } })
    const crash = await rejection(() => t.host.call({ id: 'c', name: 'probe__crash', arguments: {} }))
    expect(crash).to.be.instanceOf(PluginUnavailableError)
    expect(crash.message).to.match(/crashed: it exited \(code 3\)/)
    const inFlight = await rejection(() => slow)
    expect(inFlight).to.be.instanceOf(PluginUnavailableError)
    await upAgain(1)
    expect(probe()).to.include({ crashes: 1, hangs: 0, memoryKills: 0 })
    expect(probe().lastExit?.reason).to.equal('crash')
    expect(probe().pid).to.not.equal(pid)
    expect(await callText(t.host, 'probe__echo', { text: 'back' })).to.deep.equal({ text: 'back', isError: false })
    expect(t.lines.some((l) => l.level === 40 && /probe@1.0.0 crashed: .*its calls in flight failed; starting it again in 20 ms/.test(l.msg))).to.equal(true)
    expect(t.failures.of('plugin:probe')).to.equal(1)
  })

  it('should refuse calls while it restarts, saying why', async () => {
    await t.close()
    t = await testHost({ timings: { ...FAST_TIMINGS, restartFirstMs: 60_000 } })
    await start()
    await rejection(() => t.host.call({ id: 'c', name: 'probe__crash', arguments: {} }))
    await waitFor(() => probe().state === 'restarting', 'the probe restarting')
    const err = await rejection(() => t.host.call({ id: 'e', name: 'probe__echo', arguments: { text: 'x' } }))
    expect(err).to.be.instanceOf(PluginUnavailableError)
    expect(err.message).to.equal('plugin probe@1.0.0 is unavailable: it is restarting after it crashed (next start in about 60000 ms)')
  })

  it('should kill a hung plugin (a call past its deadline, then no ping answered) and start it again', async () => {
    await start()
    const err = await rejection(() => t.host.call({ id: 'h', name: 'probe__hang', arguments: {} }, { deadlineMs: 200 }))
    expect(err).to.be.instanceOf(PluginTimeoutError)
    expect(err.message).to.equal('plugin probe did not answer the call of hang within 200 ms')
    await upAgain(1)
    expect(probe()).to.include({ hangs: 1, crashes: 0 })
    expect(probe().lastExit?.detail).to.match(/answered no ping within 500 ms/)
  })

  it('should kill a plugin whose memory goes over its cap, failing its calls, and start it again', async () => {
    await start('probe.mjs', { memoryMiB: 64 })
    const err = await rejection(() => t.host.call({ id: 'g', name: 'probe__grow', arguments: { mib: 4 } }).then(async () => await t.host.call({ id: 'g2', name: 'probe__grow', arguments: { mib: 400 } })))
    expect(err).to.be.instanceOf(PluginUnavailableError)
    expect(err.message).to.match(/went over its memory cap/)
    await upAgain(1)
    expect(probe()).to.include({ memoryKills: 1 })
    expect(probe().lastExit?.detail).to.match(/over its cap of 64 MiB/)
  })

  it('should count a JavaScript heap that reaches its cap as a memory overrun', async function () {
    await start('probe.mjs', { memoryMiB: 64 })
    const err = await rejection(() => t.host.call({ id: 'h', name: 'probe__heap', arguments: {} }))
    expect(err).to.be.instanceOf(PluginUnavailableError)
    await upAgain(1)
    expect(probe()).to.include({ memoryKills: 1, crashes: 0 })
  })

  it('should double its wait at each exit after a short run, up to the most', async () => {
    await start('crashy.mjs')
    await waitFor(() => probe().restarts >= 5, 'five restarts', { timeout: 10_000 })
    const waits = t.lines.filter((l) => l.level === 40 && /crashed/.test(l.msg)).map((l) => Number(/starting it again in (\d+) ms/.exec(l.msg)?.[1]))
    expect(waits.slice(0, 5)).to.deep.equal([20, 40, 80, 160, 200])
  })

  it('should refuse a first start that fails, leaving nothing running', async () => {
    await t.close()
    t = await testHost({ timings: { ...FAST_TIMINGS, startTimeoutMs: 500 } })
    const silent = await rejection(() => t.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest({}, {}, 'silent.mjs') }))
    expect(silent).to.be.instanceOf(PluginStartError)
    expect(silent.message).to.match(/probe@1.0.0 did not start/)
    const bad = await rejection(() => t.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest({}, {}, 'rogue-capability.mjs') }))
    expect(bad).to.be.instanceOf(PluginStartError)
    expect(bad.message).to.match(/capabilities.experimental.plexi: api/)
    expect(t.host.running()).to.deep.equal([])
  })

  it('should let the calls in flight finish when it is stopped', async () => {
    await start()
    const slow = t.host.call({ id: 's', name: 'probe__sleep', arguments: { ms: 200 } })
    await t.host.stop('probe', '1.0.0')
    expect((await slow).text).to.equal('slept 200')
    expect(t.host.running()).to.deep.equal([])
  })

  it('should kill a plugin that writes a line without end, and skip lines that are not JSON-RPC', async () => {
    // pings that may go unanswered for a minute: a plugin busy writing its flood misses the fast
    // timings' 500 ms on a loaded machine, and would be killed as hung before the line's length
    // gave it away (what this test is about)
    await t.close()
    t = await testHost({ timings: { ...FAST_TIMINGS, pingTimeoutMs: 60_000 } })
    await start('rogue-stream.mjs')
    expect(await callText(t.host, 'probe__garbage')).to.deep.equal({ text: 'after garbage', isError: false })
    const err = await rejection(() => t.host.call({ id: 'f', name: 'probe__flood', arguments: {} }))
    expect(err).to.be.instanceOf(PluginUnavailableError)
    await upAgain(1)
    expect(probe().lastExit).to.include({ reason: 'protocol' })
  })
})
