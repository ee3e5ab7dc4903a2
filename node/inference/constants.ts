/**
 * Timings and limits of inference on a node (the requests forwarded to a member with the model
 * warm, the KV caches that travel with agents). System-actor paths sit beside their protocols.
 */

/** An answer (asked of an agent, or forwarded to another member) may wait in queues and then
 * generate for a long time; the caller's cancellation ends it sooner, and a member found down
 * ends a forwarded one at once. */
export const ANSWER_TIMEOUT_MS = 30 * 60_000
/** How often a request forwarded to another member checks that the member is still up: a member
 * found down ends the request within half a second, and each check is one read of the view. */
export const LIVENESS_MS = 500

/** A forwarded request's id, at most (a UUID is 36 characters). */
export const MAX_REQUEST_ID = 64
/** A model's or a user's name in a forwarded request, at most (as the names the admin API takes). */
export const MAX_NAME = 512
/** Turns of a forwarded conversation, at most (an agent keeps far fewer in its window). */
export const MAX_TURNS = 1024
/** The text of a forwarded conversation, at most: the whole of it fits one 4 MiB frame. */
export const MAX_TEXT_BYTES = 4 * 1024 * 1024

/** Bytes per KV cache chunk message: well under a frame (4 MiB), large enough that a 30 MiB state
 * is 30 asks. */
export const KV_CHUNK_BYTES = 1_048_576
/** KV cache transfers one node receives at once; beyond it an offer is refused (the agent's next
 * turn then evaluates its prompt: only slower), and the disk sees a bounded number of writers. */
export const MAX_INCOMING = 4
/** An incoming transfer that has received nothing for this long is dropped with its file (its
 * sender asks chunk by chunk, each within KV_ASK_MS: it gave up long before). */
export const INCOMING_IDLE_MS = 30_000
/** Each ask of a KV cache transfer: a chunk of 1 MiB crosses a LAN in milliseconds; an answer this
 * late means the transfer is not worth waiting for (the move goes on without it). */
export const KV_ASK_MS = 10_000
/** A model name, cache key or transfer id in a KV cache message, at most. */
export const MAX_KV_NAME = 512
