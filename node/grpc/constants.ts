/** Limits and timings of the gRPC side of a node, each with why it is what it is. */

/** Chat history returned when a History request asks for 0: a screenful and more, small enough
 * to answer from one page of the journal. */
export const CHAT_HISTORY_DEFAULT = 100

/** Agent history turns returned when a History request asks for 0: a long conversation's worth,
 * far under MAX_AGENT_TURNS. */
export const AGENT_HISTORY_DEFAULT = 50

/** The waits before each resend of a room's message that a superseded owner failed (see askRoom):
 * its new owner is usually running within tens of ms, but a failover waits out the old owner's
 * lease (config lease-ms) and a node whose activation was just superseded holds back for
 * SUPERSEDED_HOLD_MS (actors/kernel): the last resend is about 4 s after the first failure. */
export const SUPERSEDED_RESEND_MS = [10, 40, 100, 200, 400, 800, 1_000, 1_500] as const

/** Subscribe streams one user may hold open on one node (each costs buffers and a gateway slot). */
export const MAX_STREAMS_PER_USER = 64

/** Subscriptions are renewed this often: a room that lost them (it was restarted from scratch)
 * gets them back, and the sinks fetch any gap from history. Renewal is idempotent. */
export const RESUBSCRIBE_MS = 10_000

/** Waits before each new try of a renewal that a room refused while it changed owner (its old
 * activation holds back for SUPERSEDED_HOLD_MS, a failover waits out the old owner's lease): about
 * 6 s in all, then the periodic renewal takes over. */
export const RESUBSCRIBE_RETRY_MS = [50, 200, 500, 1_000, 2_000, 2_000] as const

/** A stream reads history in pages of this many messages: few asks for a long catch-up, and a page
 * (at most max-message-bytes each) a room answers in one reply. */
export const HISTORY_PAGE = 500

/** Live messages held while history is being sent; a stream that falls further behind is ended
 * (the client resumes from its last seq, so nothing is lost). */
export const MAX_PENDING_LIVE = 10_000

/** Largest request a client may send (a post is limited far lower by max-message-bytes; this
 * bounds what grpc-js buffers before our validation runs). */
export const MAX_RECEIVE_BYTES = 4 * 1024 * 1024

/** Longest message a status carries, in bytes of UTF-8 (it travels in a header): enough to name
 * a field and what was expected. */
export const MAX_DETAILS = 1000

/**
 * Most bytes of UTF-8 a status message may have as sent. grpc-js percent-encodes it into the
 * `grpc-message` header (up to 3 characters a byte): 12 KiB at most, far below HTTP/2's header-list
 * limits (past them the client sees the stream reset, not the status). statusOf's messages are
 * shorter (MAX_DETAILS); this bounds every other status too.
 */
export const MAX_STATUS_BYTES = 4096

/** Longest reason of a refused undecodable request's status (protobuf's own message, e.g. "index
 * out of range"): enough to say what broke, short enough never to echo the request. */
export const MAX_UNDECODABLE_REASON = 200

/** Most rooms one ListRooms fills the last seq of (ListRoomsRequest.heads): each is a read of the
 * room from its owner (a mesh call, and an activation of a room that was idle), so a page asks for
 * the rooms it shows counts for and a list of 10,000 rooms never costs 10,000 calls. */
export const LIST_ROOMS_MAX_HEADS = 64

/** How long ListRooms waits for one room's last seq: a room that does not answer in time is listed
 * with last_seq 0 (unknown) rather than holding up the list. */
export const LIST_ROOMS_HEAD_TIMEOUT_MS = 2000
