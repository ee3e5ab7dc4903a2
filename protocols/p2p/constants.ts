/**
 * The actor protocol between nodes: ids and limits. See docs/protocol.md.
 */
import { MAX_ACTOR_PATH_LENGTH, MAX_ASK_ID_LENGTH, MAX_NODE_ID_LENGTH } from '../limits.ts'
import { MAX_TRACESTATE_LENGTH } from '../trace-context.ts'

/** libp2p protocol id of actor traffic: one long-lived stream per peer and direction. */
export const ACTOR_PROTOCOL = '/plexi/actor/1.0.0'

/** The same traffic where ENTITY and ACTOR envelopes may end with a trace field (the W3C trace
 * context of the message: protocols/trace-context.ts). A sender offers it first and 1.0.0 second;
 * a peer of an earlier version answers 1.0.0, and is sent envelopes without the field (it would
 * refuse the frame holding one). */
export const ACTOR_PROTOCOL_TRACED = '/plexi/actor/1.1.0'

/** libp2p protocol id of the failure detector's probes: a stream per exchange, on the connection
 * being tested (probe-frames.ts). Used with a peer that does not speak PROBE_CHANNEL_PROTOCOL. */
export const PROBE_PROTOCOL = '/plexi/probe/1.0.0'
/** The same frames on one long-lived stream per connection and direction: requests one frame
 * each, answers matched by nonce in any order (node/mesh/probe-channel.ts). */
export const PROBE_CHANNEL_PROTOCOL = '/plexi/probe/2.0.0'

/** A frame (one msgpack array of envelopes) larger than this closes the stream that sent it. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024
/** A frame holding more envelopes than this is refused (a sender batches at most FRAME_BATCH). */
export const MAX_ENVELOPES_PER_FRAME = 4096
/** Envelopes a sender puts in one frame: several frames in flight keep both ends busy (a whole
 * window in one frame makes two processes take turns; docs/protocol.md, write policy). */
export const FRAME_BATCH = 64
/** Frames queued for one peer are handed to the stream together, up to about this many bytes in
 * one write (one noise message holds at most 65,535): the cost of a write (muxer frame, noise
 * message, the peer's window update, a syscall) hardly depends on its size. */
export const WRITE_BYTES = 60 * 1024
/** When the previous turn sent at most EARLY_WRITE_MAX_TURN envelopes (a light load), the first
 * EARLY_WRITE envelopes queued in a turn are written at once rather than at its end: the peer
 * starts on them while the sender builds the rest. */
export const EARLY_WRITE = 32
export const EARLY_WRITE_MAX_TURN = 128
/** Bytes of envelopes waiting for one peer before sends to it are refused as 'full'. */
export const MAX_QUEUED_BYTES = 16 * 1024 * 1024
/** A message for an entity is forwarded at most this many times (views converge; it never loops):
 * once by the node a sender reached, once more by a node that no longer holds the entity's role
 * (draining: the entity moved on from there) to an owner that does. */
export const MAX_HOPS = 2
/** Inbound actor streams one connection may open (one is used; reconnects need a spare). */
export const MAX_INBOUND_STREAMS = 4
/** Opening a stream to a peer gives up after this long. */
export const OPEN_TIMEOUT_MS = 3_000

/** The first element of every envelope. */
export const ENVELOPE = {
  /** [kind, type, key, msg, hops, origin, trace?]: a message for entity type/key (origin: the first
   * sender, when forwarded; trace: on /plexi/actor/1.1.0, the message's trace context) */
  ENTITY: 1,
  /** [kind, path, msg, trace?]: a message for the actor at path on the receiving node */
  ACTOR: 2,
  /** [kind, askId, value]: the reply to an ask of the receiving node */
  REPLY: 3,
  /** [kind, askId, error]: the ask failed; error is { name, message, fields? } */
  FAILURE: 4,
  /** [kind, type, key, owner]: the entity lives on owner (sent to the first sender after a forward) */
  OWNER: 5
} as const

/** Field limits checked on every envelope received. */
export const LIMITS = {
  type: 32,
  key: 256,
  path: MAX_ACTOR_PATH_LENGTH,
  peerId: MAX_NODE_ID_LENGTH,
  askId: MAX_ASK_ID_LENGTH,
  /** Each string of an envelope's trace field: a traceparent is 55 characters, a tracestate is
   * carried up to 512 (protocols/trace-context.ts) */
  trace: MAX_TRACESTATE_LENGTH
} as const

/** A probe frame is a few dozen bytes (a kind, a nonce, at most a peer id): a body over this is
 * not one, and a stream that carries more than one frame's worth is refused before it is read
 * further. */
export const MAX_PROBE_FRAME_BYTES = 256

/** Probe streams one connection may hold open at once, each way: a direct probe per round, and a
 * request to probe another member for each member this one checks through it (SWIM's ping-req). */
export const MAX_PROBE_STREAMS = 32
/** Probe channels (PROBE_CHANNEL_PROTOCOL) one connection may hold open at once, each way: one,
 * and another while a broken one is being replaced. Each carries at most MAX_PROBE_STREAMS
 * requests unanswered. */
export const MAX_PROBE_CHANNELS = 4

/** The largest `missed` a PING carries (a count of probes in a row without an answer): a byte,
 * and past a few the member is suspected anyway. */
export const MAX_PROBE_MISSED = 255
