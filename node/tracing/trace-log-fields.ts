import type { Spans } from './spans.ts'

/**
 * The trace ids of each log line: the logger (node/logger.ts) is made before the node's parts, so
 * its mixin reads them through this, which the tracing part binds to the node's spans. Unbound
 * (or tracing off), a line carries none.
 */
export class TraceLogFields {
  #spans: Spans | undefined

  bind (spans: Spans): void {
    this.#spans = spans.on ? spans : undefined
  }

  /** pino's mixin: `{ traceId, spanId }` for a line written inside a sampled span, else `{}`. */
  readonly mixin = (): object => this.#spans?.logFields() ?? {}
}
