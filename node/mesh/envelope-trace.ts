import { traceFieldOf } from '../../protocols/index.ts'
import type { TraceField } from '../../protocols/index.ts'
import type { Spans } from '../tracing/index.ts'

/**
 * The trace an actor envelope carries (its last field on `/plexi/actor/1.1.0`: docs/protocol.md):
 * a message sent inside a recorded trace carries it, unless its peer is known to speak 1.0.0 only;
 * one that arrives with a trace field is handled in that trace (a malformed field is ignored and
 * counted). Tracing off: nothing is carried, and what arrives is handled as it is.
 */
export class EnvelopeTrace {
  readonly #spans: Spans
  /** Whether a peer takes a trace field (false: known not to; undefined: not known yet). */
  readonly #takes: (peer: string) => boolean | undefined

  constructor (spans: Spans, takes: (peer: string) => boolean | undefined) {
    this.#spans = spans
    this.#takes = takes
  }

  /** The trace field of a message sent now to `peer` (undefined: none). */
  fieldFor (peer: string): TraceField | undefined {
    if (!this.#spans.on || this.#takes(peer) === false) return undefined
    const carrier = this.#spans.carrier()
    return carrier === undefined ? undefined : traceFieldOf(carrier)
  }

  /** Runs `deliver` in the trace `field` names (its message is tagged with it, a forward carries
   * it on); `has`: the envelope had the field at all. */
  deliverIn (has: boolean, field: TraceField | undefined, deliver: () => void): void {
    if (has && this.#spans.on) this.#spans.fromField(field, deliver)
    else deliver()
  }
}
