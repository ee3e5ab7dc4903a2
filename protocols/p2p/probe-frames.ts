/**
 * The failure detector's probes between nodes, `/plexi/probe/1.0.0` (docs/protocol.md, "Failure
 * detection"): one short stream per exchange, one request frame and one answer frame. Frames are
 * the actor protocol's (a varint length, then a msgpack array: encodeFrame, FrameReader), so one
 * reader and one writer serve both protocols; every field is checked before it is used.
 */
import { Packr } from 'msgpackr'
import { encodeFrame, InvalidFrameError } from './actor-frames.ts'
import { LIMITS, MAX_PROBE_FRAME_BYTES, MAX_PROBE_MISSED } from './constants.ts'
import { shown } from '../errors.ts'

/** The first element of every probe frame. */
export const PROBE = {
  /** [1, nonce, missed]: are you there? `missed`: probes this sender sent the receiver in a row
   * that got no answer (Lifeguard's buddy system: a member told that it is not heard learns it) */
  PING: 1,
  /** [2, nonce]: yes (to a PING); the member you asked about answered me (to a PING_REQ) */
  ACK: 2,
  /** [3, nonce, target]: probe `target` for me over your own connection, and tell me (SWIM) */
  PING_REQ: 3,
  /** [4, nonce]: I probed the target you asked about and it did not answer (Lifeguard's nack:
   * the asker learns that this helper, at least, is reachable) */
  NACK: 4
} as const

export type ProbeFrame =
  | readonly [typeof PROBE.PING, number, number]
  | readonly [typeof PROBE.ACK, number]
  | readonly [typeof PROBE.PING_REQ, number, string]
  | readonly [typeof PROBE.NACK, number]

/** A request a node answers (PING, PING_REQ). */
export type ProbeRequest = Extract<ProbeFrame, readonly [typeof PROBE.PING | typeof PROBE.PING_REQ, ...unknown[]]>
/** An answer (ACK, NACK). */
export type ProbeAnswer = Extract<ProbeFrame, readonly [typeof PROBE.ACK | typeof PROBE.NACK, ...unknown[]]>

const packr = new Packr({ useRecords: false, moreTypes: false })

/** The frame's bytes on the wire (length prefix included). */
export function encodeProbe (frame: ProbeFrame): Uint8Array {
  return encodeFrame(frame.map((field) => packr.pack(field)))
}

/**
 * Decodes one probe frame's body (the length prefix already removed) and checks every field: its
 * kind, a nonce that is an integer 0 to 2^32 - 1, a `missed` 0 to MAX_PROBE_MISSED, a target of 1
 * to 128 characters. Anything else throws InvalidFrameError (the stream is refused, nothing else).
 */
export function decodeProbe (body: Uint8Array): ProbeFrame {
  if (body.byteLength > MAX_PROBE_FRAME_BYTES) throw new InvalidFrameError(`probe frame of ${body.byteLength} bytes is over ${MAX_PROBE_FRAME_BYTES}`)
  let value: unknown
  try {
    value = packr.unpack(body)
  } catch (err) {
    throw new InvalidFrameError(`probe frame is not msgpack: ${(err as Error).message}`)
  }
  const bad = (why: string): never => { throw new InvalidFrameError(`probe frame: ${why}`) }
  if (!Array.isArray(value) || value.length === 0) return bad('not an array')
  const nonce = value[1]
  if (!Number.isSafeInteger(nonce) || (nonce as number) < 0 || (nonce as number) > 0xffff_ffff) bad('nonce must be an integer 0-4294967295')
  switch (value[0]) {
    case PROBE.PING:
      if (value.length !== 3) bad('a ping is [1, nonce, missed]')
      if (!Number.isSafeInteger(value[2]) || value[2] < 0 || value[2] > MAX_PROBE_MISSED) bad(`missed must be an integer 0-${MAX_PROBE_MISSED}`)
      break
    case PROBE.ACK:
    case PROBE.NACK:
      if (value.length !== 2) bad(`an ${value[0] === PROBE.ACK ? 'ack' : 'nack'} is [${value[0] as number}, nonce]`)
      break
    case PROBE.PING_REQ:
      if (value.length !== 3) bad('a ping-req is [3, nonce, target]')
      if (typeof value[2] !== 'string' || value[2].length === 0 || value[2].length > LIMITS.peerId) bad(`target must be a peer id of 1-${LIMITS.peerId} characters`)
      break
    default:
      bad(`unknown kind ${shown(value[0], 40)}`)
  }
  return value as unknown as ProbeFrame
}
