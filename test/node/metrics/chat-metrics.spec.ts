import { expect } from 'chai'
import { Registry } from 'prom-client'
import { chatMetrics } from '../../../node/metrics/index.ts'
import { families, scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('chatMetrics', () => {
  it('should export the streams open, posts and deliveries the chat service counts, when it counts them', async () => {
    const registry = new Registry()
    const chat = chatMetrics(registry)
    chat.grpcStreamsOpen.inc()
    chat.grpcStreamsOpen.inc()
    chat.grpcStreamsOpen.dec()
    chat.chatMessages.inc()
    chat.chatDeliveries.inc(3)
    const text = await scrape(registry)
    expect([seriesValue(text, 'plexi_grpc_streams_open'), seriesValue(text, 'plexi_chat_messages_total'), seriesValue(text, 'plexi_chat_deliveries_total')]).to.deep.equal([1, 1, 3])
    expect([...families(text)].map(([name, f]) => `${name} ${f.type}`)).to.deep.equal(['plexi_grpc_streams_open gauge', 'plexi_chat_messages_total counter', 'plexi_chat_deliveries_total counter'])
  })
})
