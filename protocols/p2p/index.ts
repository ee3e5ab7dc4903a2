/** The peer wire: `/plexi/actor/1.0.0` frames, envelopes and their limits (docs/protocol.md). */
export * from './constants.ts'
export { FrameReader, InvalidFrameError, decodeFrame, encodeEnvelope, encodeFrame, encodeFrames, stripTraceField } from './actor-frames.ts'
export type { Envelope, WireError } from './actor-frames.ts'
export { PROBE, decodeProbe, encodeProbe } from './probe-frames.ts'
export { parseSystemPath, systemPath } from './system-path.ts'
export type { ProbeAnswer, ProbeFrame, ProbeRequest } from './probe-frames.ts'
