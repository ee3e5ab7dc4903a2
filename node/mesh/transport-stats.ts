import { EnvelopeKinds } from './envelope-kinds.ts'

/** Counters of the actor transport, read by /metrics. */
export interface TransportStats {
  /** Writes to the peers' streams (each holds one or more frames). */
  writes: number
  framesSent: number
  framesReceived: number
  envelopesSent: number
  envelopesReceived: number
  forwarded: number
  /** Entity messages received (a draining node waits for them to stop before it exits). */
  entityMessages: number
  /** Frames that broke the protocol; each closed the stream that sent it. */
  framesRefused: number
  /** Envelopes sent, by what they carry. */
  readonly envelopeKinds: EnvelopeKinds
}

export function transportStats (): TransportStats {
  return { writes: 0, framesSent: 0, framesReceived: 0, envelopesSent: 0, envelopesReceived: 0, forwarded: 0, entityMessages: 0, framesRefused: 0, envelopeKinds: new EnvelopeKinds() }
}
