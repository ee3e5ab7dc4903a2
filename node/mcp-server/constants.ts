/** Limits and names of the MCP endpoint (`/mcp` on the OpenAI listener), each with its why. */

/** Where the endpoint answers: the path MCP clients are configured with (the spec's example). */
export const MCP_PATH = '/mcp'

/** The server's name in its `initialize` answer. */
export const MCP_SERVER_NAME = 'plexi'

/** Sessions one user may hold open on one node: an editor opens one per window and a desktop
 * assistant one per chat, and most never send DELETE. Beyond it the user's least recently used
 * idle session is closed for the new one, so a client that forgets its sessions cannot lock its
 * user out; when every one of them is busy the new one is refused. */
export const MAX_SESSIONS_PER_USER = 16

/** Sessions on one node, every user together: each holds a server with its tools and schemas
 * (tens of KB). Beyond it a new session is refused (503, retry shortly) until idle ones expire. */
export const MAX_SESSIONS = 1_024

/** A session no request touched for this long, with none in flight and no stream open, is
 * closed: its client is gone (a closed laptop, a crashed editor); a client that comes back
 * gets 404 and opens another, as the spec has it. */
export const SESSION_IDLE_MS = 30 * 60_000

/** How often idle sessions are looked for: a minute late to close one costs nothing. */
export const SESSION_SWEEP_MS = 60_000

/** A session id as the endpoint makes them (a UUID); a header longer than this is no session of
 * ours and is not looked up. */
export const MAX_SESSION_ID_CHARS = 64

/** Messages `read_history` returns when the call names no limit: a screenful, far under
 * MAX_HISTORY_LIMIT (a model's context holds them). */
export const HISTORY_DEFAULT = 50

/** Messages a room's resource (`plexi://rooms/<name>`) holds: its recent history, as much as an
 * assistant would put in a prompt. */
export const RESOURCE_HISTORY = 50

/** Rooms `list_rooms` and `resources/list` name at most: a model's context and an editor's picker
 * hold this many; a cluster with more is searched by name through `read_history`. */
export const MAX_LISTED_ROOMS = 1_000

/** Resends of a room ask whose owner lost the room to a newer one first (a move racing a
 * failover): the newer owner takes it; the same waits as the gRPC chat service's. */
export const SUPERSEDED_RESEND_MS = [10, 40, 100, 200, 400, 800, 1_000, 1_500] as const

/** The longest error text a tool answers with: enough to say what was wrong, never a payload. */
export const MAX_ERROR_CHARS = 500

/** JSON-RPC messages one POST may carry (a 2025-03-26 client may batch; later ones send one):
 * each message past the first counts as one more request against the user's rate (user-rate),
 * so that a batch is no way around it, and a batch is small enough to refuse whole. */
export const MAX_BATCH_MESSAGES = 32
