import { VERSION } from '../constants.ts'
import { traceMetrics } from '../metrics/index.ts'
import { createTracing } from '../tracing/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/**
 * Tracing (node/tracing): off without `otlp-endpoint` (its spans run their work plain, its metrics
 * stay zero); otherwise spans exported over OTLP/HTTP, head-sampled by `trace-sample`, the log's
 * lines inside a span carrying its ids. It starts before everything that makes spans and stops
 * after them, exporting what is left.
 */
export const tracingPart: PartSpec<NodeComponents> = {
  id: 'tracing',
  needs: ['config', 'log', 'preflight', 'roles', 'metrics', 'traceLog'],
  gives: ['tracing'],
  start: async (c: C) => {
    const config = c.get('config')
    const tracing = await createTracing({
      endpoint: config.otlpEndpoint,
      sample: config.traceSample,
      node: c.get('preflight').identity.peerId,
      roles: c.get('roles').current,
      version: VERSION,
      log: c.get('log').child({ component: 'tracing' })
    })
    traceMetrics(c.get('metrics').registry, tracing)
    c.get('traceLog').bind(tracing.spans)
    c.provide('tracing', tracing, 'tracing')
    return { stop: async () => { await tracing.stop() } }
  }
}
