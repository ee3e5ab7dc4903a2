import { expect } from 'chai'
import { Registry } from 'prom-client'
import { modelMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('modelMetrics', () => {
  it('should export queue depths and loaded models with their memory, dropping a model unloaded, when read at scrape time', async () => {
    const registry = new Registry()
    let loaded = [{ model: 'tiny', memoryBytes: 1000 }, { model: 'big', memoryBytes: 5000 }]
    const depths = new Map([['tiny', 3]])
    modelMetrics(registry, { queueDepths: () => depths, loaded: () => loaded })
    let text = await scrape(registry)
    expect(seriesValue(text, 'plexi_inference_queue_depth{model="tiny"}')).to.equal(3)
    expect([seriesValue(text, 'plexi_models_loaded{model="tiny"}'), seriesValue(text, 'plexi_models_loaded{model="big"}')]).to.deep.equal([1, 1])
    expect(seriesValue(text, 'plexi_model_memory_bytes{model="big"}')).to.equal(5000)
    loaded = [{ model: 'tiny', memoryBytes: 1000 }]
    depths.delete('tiny')
    text = await scrape(registry)
    expect(seriesValue(text, 'plexi_models_loaded{model="big"}')).to.equal(undefined)
    expect(seriesValue(text, 'plexi_model_memory_bytes{model="big"}')).to.equal(undefined)
    expect(seriesValue(text, 'plexi_inference_queue_depth{model="tiny"}')).to.equal(undefined)
  })
})
