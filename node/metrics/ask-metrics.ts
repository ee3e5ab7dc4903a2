import { Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { AskOutcome } from '../../actors/index.ts'

export interface AskMetrics {
  /** Read by the stats sampler (asks per second, their mean and p99). */
  readonly askDuration: Histogram<'outcome'>
  /** For ActorSystemOptions.onAskSettled. */
  readonly observeAsk: (ms: number, outcome: AskOutcome) => void
}

/** How long asks took, by outcome: observed as each settles (the actor system is given
 * `observeAsk` when it is made). */
export function askMetrics (registry: Registry): AskMetrics {
  const askDuration = new Histogram({
    name: 'plexi_ask_duration_seconds',
    help: 'Time from ask to reply, error or timeout',
    labelNames: ['outcome'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry]
  })
  return {
    askDuration,
    observeAsk: (ms, outcome) => { askDuration.observe({ outcome }, ms / 1000) }
  }
}
