/**
 * The W3C Trace Context (https://www.w3.org/TR/trace-context/) as Plexi carries it between nodes:
 * in actor envelopes (protocols/p2p, `/plexi/actor/1.1.0`) and in gRPC metadata (`traceparent`,
 * `tracestate`). Only the shape is checked here; node/tracing turns a checked context into a parent
 * span. A context that fails a check is ignored (the message goes on, outside any trace): tracing is
 * never a reason to refuse work.
 */

/** A `traceparent` of version 00 is exactly this long; a later version may append fields after a
 * dash, and is read by its first 55 characters (the spec's rule for versions it does not know). */
export const TRACEPARENT_LENGTH = 55

/** The longest `tracestate` carried (the spec asks propagators to keep at least 512 characters;
 * longer ones may be cut, and here they are dropped whole rather than cut mid-member). */
export const MAX_TRACESTATE_LENGTH = 512

/** A trace context: its `traceparent`, and its `tracestate` when it has one. */
export interface TraceCarrier {
  readonly traceparent: string
  readonly tracestate?: string
}

/** The trace context on the wire (an envelope's last field): the traceparent alone, or with its
 * tracestate. */
export type TraceField = string | readonly [traceparent: string, tracestate: string]

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '00000000000000000000000000000000'
const ZERO_SPAN = '0000000000000000'

/** Whether `value` is a traceparent the spec accepts: version 00 exactly 55 characters, a later one
 * (not ff) at least that and a dash after; lowercase hex; neither id all zeros. */
export function isTraceparent (value: unknown): value is string {
  if (typeof value !== 'string' || value.length < TRACEPARENT_LENGTH || value.length > MAX_TRACESTATE_LENGTH) return false
  const m = TRACEPARENT.exec(value)
  if (m === null) return false
  const [, version, traceId, spanId, , rest] = m
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return false
  return version === '00' ? rest === undefined : true
}

/** Whether `value` is a tracestate carried as it is: printable ASCII, at most MAX_TRACESTATE_LENGTH
 * (its members' grammar is the propagator's to read; a member it cannot parse is dropped there). */
export function isTracestate (value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TRACESTATE_LENGTH && /^[\x20-\x7e]*$/.test(value)
}

/** A carrier as an envelope's field. */
export function traceFieldOf (carrier: TraceCarrier): TraceField {
  return carrier.tracestate === undefined || carrier.tracestate.length === 0 ? carrier.traceparent : [carrier.traceparent, carrier.tracestate]
}

/** An envelope's trace field as a carrier, or undefined when it is absent or malformed (ignored:
 * the envelope is delivered outside any trace). Never throws. */
export function carrierOfField (field: unknown): TraceCarrier | undefined {
  if (typeof field === 'string') return isTraceparent(field) ? { traceparent: field } : undefined
  if (!Array.isArray(field) || field.length !== 2) return undefined
  const [traceparent, tracestate] = field as unknown[]
  if (!isTraceparent(traceparent)) return undefined
  // a bad tracestate loses the state, not the trace (the spec: a vendor's state is best effort)
  return isTracestate(tracestate) && tracestate.length > 0 ? { traceparent, tracestate } : { traceparent }
}
