import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'

/** What the user listener reports: each gRPC-Web call as it ends, by method and status code, and
 * the streams open now. */
export interface WebMetrics {
  ended (method: string, code: number): void
  streamOpened (): void
  streamClosed (): void
}

/** The user listener's Prometheus metrics (`plexi_web_*`), on `registry`. `method` is a served
 * method's path (a path no service has is answered uncounted: a client cannot grow the series). */
export function webMetrics (registry: Registry): WebMetrics {
  const calls = new Counter({
    name: 'plexi_web_calls_total',
    help: 'gRPC-Web calls ended on the user listener, by method and gRPC status code (1 CANCELLED: the client went away)',
    labelNames: ['method', 'code'] as const,
    registers: [registry]
  })
  const streams = new Gauge({ name: 'plexi_web_streams_open', help: 'gRPC-Web server streams (Subscribe, Ask, Export) open on the user listener', registers: [registry] })
  return {
    ended: (method, code) => { calls.inc({ method, code: String(code) }) },
    streamOpened: () => { streams.inc() },
    streamClosed: () => { streams.dec() }
  }
}

/** Metrics that count nothing (a listener built without a registry: specs). */
export const NO_WEB_METRICS: WebMetrics = { ended: () => undefined, streamOpened: () => undefined, streamClosed: () => undefined }
