import { expect } from 'chai'
import { Registry } from 'prom-client'
import { ActorSystem } from '../../../actors/index.ts'
import type { Behavior, ReplyTo } from '../../../actors/index.ts'
import { actorMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'
import { waitFor } from '../../helpers/wait-for.ts'

type Msg = { type: 'ping', replyTo: ReplyTo<string> } | { type: 'hold', until: Promise<void>, started?: () => void }
const worker: Behavior<Msg, null> = {
  init: () => null,
  async receive (state, msg, ctx) {
    if (msg.type === 'ping') ctx.reply(msg.replyTo, 'pong')
    else {
      msg.started?.()
      await msg.until
    }
    return state
  }
}

describe('actorMetrics', () => {
  it('should export a real system\'s live actors and waiting messages by kind, its counters, and its refusals by reason, when actors work and stop', async () => {
    const system = new ActorSystem()
    const registry = new Registry()
    actorMetrics(registry, system)
    try {
      const a = system.spawn(worker, { name: 'a', kind: 'worker' })
      system.spawn(worker, { name: 'b', kind: 'worker' })
      await a.ask<string>((replyTo) => ({ type: 'ping', replyTo }))
      let release!: () => void
      let holding = false
      a.tell({ type: 'hold', until: new Promise((resolve) => { release = resolve }), started: () => { holding = true } })
      a.tell({ type: 'hold', until: Promise.resolve() })
      a.tell({ type: 'hold', until: Promise.resolve() })
      await waitFor(() => holding, 'the first hold to be handled')
      let text = await scrape(registry)
      expect(seriesValue(text, 'plexi_actors{kind="worker"}')).to.equal(2)
      expect(seriesValue(text, 'plexi_mailbox_messages{kind="worker"}')).to.equal(2)
      expect(seriesValue(text, 'plexi_messages_processed_total')).to.equal(system.stats.messagesProcessed)
      expect(seriesValue(text, 'plexi_messages_dropped_total{reason="dead_letter"}')).to.equal(0)
      release()
      await waitFor(() => system.stats.messagesProcessed >= 4, 'the held messages handled')
      await system.stop(a)
      a.tell({ type: 'hold', until: Promise.resolve() })
      text = await scrape(registry)
      expect(seriesValue(text, 'plexi_actors{kind="worker"}')).to.equal(1)
      expect(seriesValue(text, 'plexi_messages_processed_total')).to.equal(4)
      expect(seriesValue(text, 'plexi_messages_dropped_total{reason="dead_letter"}')).to.equal(1)
      expect(seriesValue(text, 'plexi_messages_dropped_total{reason="mailbox_full"}')).to.equal(0)
      // a full mailbox refuses a tell and an ask alike
      const full = system.spawn(worker, { name: 'full', kind: 'worker', mailbox: 1 })
      let unblock!: () => void
      let blocked = false
      full.tell({ type: 'hold', until: new Promise((resolve) => { unblock = resolve }), started: () => { blocked = true } })
      await waitFor(() => blocked, 'the full actor busy')
      full.tell({ type: 'hold', until: Promise.resolve() })
      expect(full.tell({ type: 'hold', until: Promise.resolve() })).to.equal(false)
      await full.ask<string>((replyTo) => ({ type: 'ping', replyTo })).catch(() => undefined)
      expect(seriesValue(await scrape(registry), 'plexi_messages_dropped_total{reason="mailbox_full"}')).to.equal(2)
      unblock()
      for (const name of ['plexi_actor_failures_total', 'plexi_actor_refusals_total', 'plexi_actor_restarts_total', 'plexi_supervisor_escalations_total',
        'plexi_entity_activations_total', 'plexi_entity_passivations_total', 'plexi_entities_superseded_total', 'plexi_asks_timed_out_total']) {
        expect(seriesValue(text, name), name).to.equal(0)
      }
    } finally {
      await system.terminate()
    }
  })
})
