import { expect } from 'chai'
import { Registry } from 'prom-client'
import { webMetrics } from '../../../node/web/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('webMetrics', () => {
  it('should count ended calls by method and code, and the streams open now', async () => {
    const registry = new Registry()
    const m = webMetrics(registry)
    m.ended('/plexi.chat.v1.Chat/Post', 0)
    m.ended('/plexi.chat.v1.Chat/Post', 0)
    m.ended('/plexi.chat.v1.Chat/Subscribe', 1)
    m.streamOpened()
    m.streamOpened()
    m.streamClosed()
    const text = await scrape(registry)
    expect(seriesValue(text, 'plexi_web_calls_total{method="/plexi.chat.v1.Chat/Post",code="0"}')).to.equal(2)
    expect(seriesValue(text, 'plexi_web_calls_total{method="/plexi.chat.v1.Chat/Subscribe",code="1"}')).to.equal(1)
    expect(seriesValue(text, 'plexi_web_streams_open')).to.equal(1)
  })
})
