import { expect } from 'chai'
import { Counter, Histogram, Registry } from 'prom-client'
import { StatsSampler } from '../../../node/metrics/index.ts'
import type { MemberLoad } from '../../../node/metrics/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('StatsSampler', () => {
  function setup (opts: { capacity?: number, intervalMs?: number, failures?: ServiceFailures, members?: () => MemberLoad[] } = {}) {
    const reads = { n: 0 }
    const registers = [new Registry()]
    const chatMessages = new Counter({ name: 'posts', help: 'h', registers })
    const chatDeliveries = new Counter({ name: 'deliveries', help: 'h', registers })
    const inferenceTokens = new Counter({ name: 'tokens', help: 'h', labelNames: ['model'], registers })
    const askDuration = new Histogram({ name: 'asks', help: 'h', labelNames: ['outcome'], buckets: [0.001, 0.01, 0.1], registers })
    const clock = { now: 10_000 }
    const members: MemberLoad[] = [{ peerId: 'self', status: 'up', rssBytes: 100, actors: 7, entities: 3, mailbox: 0 }, { peerId: 'other', status: 'suspect', rssBytes: 200, actors: 1, entities: 0, mailbox: 2 }]
    const sampler = new StatsSampler({
      chatMessages, chatDeliveries, inferenceTokens, askDuration, members: opts.members ?? (() => members), memory: () => ({ rss: 5000, heapUsed: 4000 }), now: () => { reads.n++; return clock.now }
    }, { intervalMs: 1000, ...opts })
    return { sampler, chatMessages, chatDeliveries, inferenceTokens, askDuration, clock, reads }
  }

  it('should take no sample on its first reading, then the rates over the time since the last', async () => {
    const s = setup()
    expect(await s.sampler.sample()).to.equal(undefined)
    s.chatMessages.inc(10)
    s.chatDeliveries.inc(30)
    s.inferenceTokens.inc({ model: 'a' }, 6)
    s.inferenceTokens.inc({ model: 'b' }, 4)
    s.clock.now += 2000
    const sample = await s.sampler.sample()
    expect(sample).to.deep.include({ ts: 12_000, postsPerSec: 5, deliveriesPerSec: 15, tokensPerSec: 5, asksPerSec: 0, askMeanMs: null, askP99Ms: null, rssBytes: 5000, heapUsedBytes: 4000, actors: 7, entities: 3 })
    expect(sample?.members.map((m) => m.peerId)).to.deep.equal(['self', 'other'])
    expect(s.sampler.samples()).to.deep.equal([sample])
  })

  it('should give the mean ask latency and the bucket the 99th percentile falls in, over the interval only', async () => {
    const s = setup()
    await s.sampler.sample()
    // before: asks that must not count in the next interval
    for (let i = 0; i < 50; i++) s.askDuration.observe({ outcome: 'ok' }, 0.05)
    s.clock.now += 1000
    await s.sampler.sample()
    for (let i = 0; i < 99; i++) s.askDuration.observe({ outcome: 'ok' }, 0.0005)
    s.askDuration.observe({ outcome: 'timeout' }, 0.005)
    s.clock.now += 1000
    const sample = await s.sampler.sample()
    expect(sample?.asksPerSec).to.equal(100)
    expect(sample?.askMeanMs).to.be.closeTo((99 * 0.5 + 5) / 100, 0.001)
    expect(sample?.askP99Ms).to.equal(1)
    for (let i = 0; i < 10; i++) s.askDuration.observe({ outcome: 'ok' }, 0.5)
    s.clock.now += 1000
    // past the last bucket: the largest finite bound
    expect((await s.sampler.sample())?.askP99Ms).to.equal(100)
  })

  it('should keep the last samples up to its capacity, and tell its readers of each until they leave', async () => {
    const s = setup({ capacity: 3 })
    const seen: number[] = []
    await s.sampler.sample()
    const leave = s.sampler.subscribe((sample) => { seen.push(sample.ts) })
    for (let i = 0; i < 5; i++) {
      s.clock.now += 1000
      await s.sampler.sample()
      if (i === 2) leave()
    }
    expect(s.sampler.samples().map((x) => x.ts)).to.deep.equal([13_000, 14_000, 15_000])
    expect(seen).to.deep.equal([11_000, 12_000, 13_000])
  })

  it('should drop a reader that throws and go on sampling', async () => {
    const s = setup()
    await s.sampler.sample()
    let calls = 0
    s.sampler.subscribe(() => { calls++; throw new Error('broken reader') })
    s.clock.now += 1000
    await s.sampler.sample()
    s.clock.now += 1000
    expect(await s.sampler.sample()).to.not.equal(undefined)
    expect(calls).to.equal(1)
  })

  it('should not count a clock that did not move as an interval', async () => {
    const s = setup()
    await s.sampler.sample()
    s.chatMessages.inc(5)
    expect(await s.sampler.sample()).to.equal(undefined)
    s.clock.now += 500
    expect((await s.sampler.sample())?.postsPerSec).to.equal(10)
  })

  it('should sample at once on start and then every interval until stopped, when started', async () => {
    const s = setup({ intervalMs: 10 })
    const seen: number[] = []
    s.sampler.subscribe((sample) => { seen.push(sample.ts) })
    s.sampler.start()
    // each sample needs the clock to move: move it as samples are taken
    await waitFor(() => {
      s.clock.now += 10
      return seen.length >= 3
    }, 'three samples taken by the sampler\'s own loop')
    await s.sampler.stop()
    const taken = s.sampler.samples().length
    s.clock.now += 10
    expect(await s.sampler.sample(), 'a direct sample still works after stop').to.not.equal(undefined)
    expect(seen.length, 'no reader is told after stop').to.be.lessThanOrEqual(taken)
  })

  it('should take its first reading at once, not an interval later, when started', async () => {
    const s = setup({ intervalMs: 60_000 })
    s.sampler.start()
    await waitFor(() => s.reads.n === 1, 'the first reading')
    await s.sampler.stop()
  })

  it('should count a sample that throws as a failure of the stats service, when its sources fail', async () => {
    const failures = new ServiceFailures()
    const s = setup({ intervalMs: 10, failures, members: () => { throw new Error('members unreadable') } })
    // a baseline first (no sample, members not read), so the next run reads the members
    await s.sampler.sample()
    s.clock.now += 10
    s.sampler.start()
    await waitFor(() => failures.of('stats') >= 1, 'the failed sample counted', { timeout: 10_000 })
    expect(failures.entries().map(([name]) => name)).to.deep.equal(['stats'])
    await s.sampler.stop()
  })
})
