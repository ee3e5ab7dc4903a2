import { expect } from 'chai'
import { Registry } from 'prom-client'
import { Jobs } from '../../../node/jobs/index.ts'
import { jobMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'
import { deferred } from '../../helpers/wait-for.ts'

describe('jobMetrics', () => {
  it('should export a real Jobs\' jobs by kind and state, every state of every kind at zero too, and those started, when jobs run and end', async () => {
    const jobs = new Jobs({ node: 'self' })
    const registry = new Registry()
    jobMetrics(registry, jobs)
    let text = await scrape(registry)
    for (const kind of Object.keys(jobs.stats.started)) {
      for (const state of ['running', 'done', 'failed', 'cancelled']) expect(seriesValue(text, `plexi_jobs{kind="${kind}",state="${state}"}`), `${kind} ${state}`).to.equal(0)
      expect(seriesValue(text, `plexi_jobs_started_total{kind="${kind}"}`)).to.equal(0)
    }
    const held = deferred()
    const running = jobs.start('repair', null, async () => { await held.promise })
    const done = jobs.start('repair', null, async () => 'ok')
    await jobs.settled(done.id, 5_000)
    text = await scrape(registry)
    expect(seriesValue(text, 'plexi_jobs{kind="repair",state="running"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_jobs{kind="repair",state="done"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_jobs_started_total{kind="repair"}')).to.equal(2)
    held.resolve()
    await jobs.settled(running.id, 5_000)
    text = await scrape(registry)
    expect(seriesValue(text, 'plexi_jobs{kind="repair",state="running"}')).to.equal(0)
    expect(seriesValue(text, 'plexi_jobs{kind="repair",state="done"}')).to.equal(2)
  })
})
