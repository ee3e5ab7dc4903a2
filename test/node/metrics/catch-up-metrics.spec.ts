import { expect } from 'chai'
import { Registry } from 'prom-client'
import { catchUpMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('catchUpMetrics', () => {
  it('should export the partitions still catching up and the nodes replaced, when read at scrape time', async () => {
    const registry = new Registry()
    const catchUp = { status: { partitions: 8, caughtUp: 5, replaced: ['node-a'] } }
    catchUpMetrics(registry, catchUp)
    let text = await scrape(registry)
    expect([seriesValue(text, 'plexi_replication_learner_partitions'), seriesValue(text, 'plexi_replication_nodes_replaced_total')]).to.deep.equal([3, 1])
    catchUp.status = { partitions: 8, caughtUp: 8, replaced: ['node-a', 'node-b'] }
    text = await scrape(registry)
    expect([seriesValue(text, 'plexi_replication_learner_partitions'), seriesValue(text, 'plexi_replication_nodes_replaced_total')]).to.deep.equal([0, 2])
  })
})
