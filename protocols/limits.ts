/**
 * Limits of what clients may ask for, shared by the servers that enforce them (gRPC, the entities
 * behind it) and the CLI that checks its flags against them; and of what crosses the wire from
 * another node (addresses, errors as data).
 */

/** Most messages one chat History request returns (and one page of a subscriber's catch-up). */
export const MAX_HISTORY_LIMIT = 1000
/** Most users one page of `GET /api/v1/users?limit=` lists: about 50 KiB of JSON; a list of every
 * user (no limit) stays one answer for the clients that always read it so. */
export const MAX_USERS_PAGE = 1000
/** Most hits one search answers (every surface): a page of results, small enough for one mesh
 * frame from each node. */
export const MAX_SEARCH_LIMIT = 100
/** Longest search query text: a sentence or two; FTS5's cost grows with the terms, and a query is
 * not a document. */
export const MAX_SEARCH_QUERY_CHARS = 512

/** Turns an agent keeps in its state, and so the most one agent History request returns; older
 * turns stay in its journal, out of prompts. */
export const MAX_AGENT_TURNS = 200

/** Tools one request may grant, revoke, turn on or turn off at once (the admin API, the agent's
 * Tools call, the tool policy behind them): a few sources' worth; more is a script that should
 * grant a source's `*`. */
export const MAX_TOOL_NAMES_PER_CHANGE = 64

/**
 * The largest chat text (and agent question) any node accepts, in UTF-8 bytes: the most config
 * `max-message-bytes` may be set to (config/ imports nothing, so its schema repeats the number; a
 * test holds the two equal). A node's own limit, usually far lower, is checked by its gRPC server;
 * an entity checks this one on what other nodes send it, whose limit it cannot know.
 */
export const MAX_CHAT_TEXT_BYTES = 1_048_576

/** A client's id for a post (chat.proto `PostRequest.client_id`): 1–64 visible ASCII characters
 * (`!` to `~`), e.g. a UUID. Short, so that a room can keep many; printable, so that it can be
 * logged and shown. */
export const CLIENT_ID_PATTERN = /^[\x21-\x7e]{1,64}$/
export const CLIENT_ID_RULE = '1-64 visible ASCII characters (! to ~), e.g. a UUID'

export function isClientId (value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ID_PATTERN.test(value)
}

/**
 * Bounds of the addresses that messages carry, wherever one arrives from another node: node (peer)
 * ids, ask ids (a reply address is `{ askId, node }`) and actor paths. The peer wire checks its
 * envelopes against them (protocols/p2p), the kernel and the entities the addresses inside messages.
 */
export const MAX_NODE_ID_LENGTH = 128
export const MAX_ASK_ID_LENGTH = 32
export const MAX_ACTOR_PATH_LENGTH = 512

/** Bounds on ErrorData, checked when it arrives from another node (see isErrorData): a name is a
 * class name, a message a sentence or a few (longer ones are cut when made, so nothing of ours
 * reaches them), and the fields a handful of short values such as retryAfterMs or a peer id. */
export const ERROR_DATA_LIMITS = { name: 128, message: 4096, fields: 16, fieldString: 1024 } as const
