import { expect } from 'chai'
import { Registry } from 'prom-client'
import { ActorSystem } from '../../../actors/index.ts'
import type { Behavior, ReplyTo } from '../../../actors/index.ts'
import { askMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('askMetrics', () => {
  it('should observe each ask a real actor system settles, by outcome, in seconds, when given as its onAskSettled', async () => {
    const registry = new Registry()
    const asks = askMetrics(registry)
    const system = new ActorSystem({ onAskSettled: asks.observeAsk })
    try {
      const echo: Behavior<{ type: 'echo', replyTo: ReplyTo<string> } | { type: 'ignore', replyTo: ReplyTo<string> }, null> = {
        init: () => null,
        receive (state, msg, ctx) {
          if (msg.type === 'echo') ctx.reply(msg.replyTo, 'hi')
          return state
        }
      }
      const ref = system.spawn(echo, { name: 'echo' })
      expect(await ref.ask<string>((replyTo) => ({ type: 'echo', replyTo }))).to.equal('hi')
      await ref.ask<string>((replyTo) => ({ type: 'ignore', replyTo }), { timeout: 20 }).catch(() => undefined)
      const text = await scrape(registry)
      expect(seriesValue(text, 'plexi_ask_duration_seconds_count{outcome="ok"}')).to.equal(1)
      expect(seriesValue(text, 'plexi_ask_duration_seconds_count{outcome="timeout"}')).to.equal(1)
      expect((await asks.askDuration.get()).values.length).to.be.greaterThan(0)
    } finally {
      await system.terminate()
    }
  })
})
