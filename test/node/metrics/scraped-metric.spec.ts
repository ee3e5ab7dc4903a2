import { expect } from 'chai'
import { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge, scrapedLabelledCounter, scrapedLabelledGauge } from '../../../node/metrics/index.ts'
import { families, scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('scraped metric', () => {
  it('should follow a growing number at each scrape, and go on from a number that went down, when read at scrape time', async () => {
    const registry = new Registry()
    let n = 0
    scrapedCounter(registry, 'things_total', 'Things', () => n)
    expect(seriesValue(await scrape(registry), 'things_total')).to.equal(0)
    n = 5
    expect(seriesValue(await scrape(registry), 'things_total')).to.equal(5)
    // a reset of the source: the counter never goes down, and counts from the new value on
    n = 2
    expect(seriesValue(await scrape(registry), 'things_total')).to.equal(5)
    n = 4
    expect(seriesValue(await scrape(registry), 'things_total')).to.equal(7)
    expect(families(await scrape(registry)).get('things_total')).to.deep.equal({ help: 'Things', type: 'counter' })
  })

  it('should export every labelled series read, at zero too, and add only what each grew by, when labelled', async () => {
    const registry = new Registry()
    const counts: Record<string, number> = { a: 0, b: 3 }
    scrapedLabelledCounter(registry, 'by_kind_total', 'By kind', ['kind'], () => Object.entries(counts).map(([kind, n]) => [{ kind }, n] as const))
    let text = await scrape(registry)
    expect([seriesValue(text, 'by_kind_total{kind="a"}'), seriesValue(text, 'by_kind_total{kind="b"}')]).to.deep.equal([0, 3])
    counts.b = 4
    counts.c = 1
    text = await scrape(registry)
    expect([seriesValue(text, 'by_kind_total{kind="b"}'), seriesValue(text, 'by_kind_total{kind="c"}')]).to.deep.equal([4, 1])
    // a series no longer read keeps its count: counters never lose a series
    delete counts.a
    expect(seriesValue(await scrape(registry), 'by_kind_total{kind="a"}')).to.equal(0)
  })

  it('should set a gauge to what is read at each scrape, and drop the labelled series no longer read, when a gauge', async () => {
    const registry = new Registry()
    let level = 3
    let kinds: Array<[string, number]> = [['x', 1], ['y', 2]]
    scrapedGauge(registry, 'level', 'Level', () => level)
    scrapedLabelledGauge(registry, 'live', 'Live', ['kind'], () => kinds.map(([kind, n]) => [{ kind }, n] as const))
    let text = await scrape(registry)
    expect([seriesValue(text, 'level'), seriesValue(text, 'live{kind="x"}'), seriesValue(text, 'live{kind="y"}')]).to.deep.equal([3, 1, 2])
    level = 1
    kinds = [['y', 5]]
    text = await scrape(registry)
    expect([seriesValue(text, 'level'), seriesValue(text, 'live{kind="x"}'), seriesValue(text, 'live{kind="y"}')]).to.deep.equal([1, undefined, 5])
    expect(families(text).get('live')?.type).to.equal('gauge')
  })
})
