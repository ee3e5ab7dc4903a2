import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import { METRICS_FLOOD_SCRAPES, METRICS_REUSE_MS } from '../../../node/metrics/constants.ts'
import { RenderedMetrics } from '../../../node/metrics/index.ts'

describe('RenderedMetrics', () => {
  const rendering = (): { renders: () => number, rendered: RenderedMetrics, clock: { now: number } } => {
    const clock = { now: 0 }
    let renders = 0
    const rendered = new RenderedMetrics({ render: async () => `text ${++renders}`, now: () => clock.now })
    return { renders: () => renders, rendered, clock }
  }

  it('should render every scrape afresh when scraped as Prometheus does, and a scrape right after another too', async () => {
    const { renders, rendered, clock } = rendering()
    expect(await rendered.text()).to.equal('text 1')
    clock.now += 1
    expect(await rendered.text()).to.equal('text 2')
    for (let i = 0; i < 100; i++) {
      clock.now += 60
      await rendered.text()
    }
    expect(renders()).to.equal(102)
  })

  it('should answer a flood of scrapes from one rendering per reuse window, fresh again once the flood ends', async () => {
    const { renders, rendered, clock } = rendering()
    // a flood: 1,000 scrapes a second for two seconds
    for (let i = 0; i < 2_000; i++) {
      clock.now += 1
      await rendered.text()
    }
    // the first METRICS_FLOOD_SCRAPES scrapes are rendered each, then one per window
    expect(renders()).to.be.within(2_000 / METRICS_REUSE_MS, METRICS_FLOOD_SCRAPES + 2_000 / METRICS_REUSE_MS + 1)
    const during = renders()
    // a rendering answers no scrape later than the window after it was made
    clock.now += METRICS_REUSE_MS
    expect(await rendered.text()).to.equal(`text ${during + 1}`)
    // the flood is over: a second later, every scrape is fresh again
    clock.now += 1_000
    expect(await rendered.text()).to.equal(`text ${during + 2}`)
    clock.now += 1
    expect(await rendered.text()).to.equal(`text ${during + 3}`)
  })

  it('should encode a rendering once for every scrape it answers, plain and gzipped', async () => {
    const { renders, rendered, clock } = rendering()
    for (let i = 0; i < METRICS_FLOOD_SCRAPES; i++) await rendered.text()
    clock.now += 1
    const [a, b, z1, z2] = [await rendered.body(false), await rendered.body(false), await rendered.body(true), await rendered.body(true)]
    expect(a.toString()).to.equal(`text ${renders()}`)
    // the same buffers: encoded once, not per scrape
    expect(b).to.equal(a)
    expect(z2).to.equal(z1)
    expect(gunzipSync(z1).toString()).to.equal(a.toString())
    clock.now += METRICS_REUSE_MS
    expect((await rendered.body(false)).toString()).to.equal(`text ${renders()}`).and.not.equal(a.toString())
  })

  it('should never reuse a rendering that failed', async () => {
    const clock = { now: 0 }
    let fail = true
    let renders = 0
    const rendered = new RenderedMetrics({ render: async () => { renders++; if (fail) throw new Error('collect failed'); return 'ok' }, now: () => clock.now })
    for (let i = 0; i < METRICS_FLOOD_SCRAPES; i++) await rendered.text().catch(() => undefined)
    fail = false
    clock.now += 1
    expect(await rendered.text()).to.equal('ok')
    expect(renders).to.equal(METRICS_FLOOD_SCRAPES + 1)
  })
})
