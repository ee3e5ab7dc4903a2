/** Limits of the OpenAI-compatible endpoint, each with why it is what it is. */

/** A 128k-token conversation is about 512 KB of text; JSON escaping can double that. Four times
 * the largest context any model here has leaves room, and still refuses a runaway upload early. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024

/** Turns in one request, and text parts in one turn: far above any real conversation (the body
 * limit binds first), low enough that validating and joining them stays cheap. */
export const MAX_MESSAGES = 4096
export const MAX_CONTENT_PARTS = 256

/** Model ids are registry names (128 characters) or `agent`; a little room for upstream ids. */
export const MAX_MODEL_ID_CHARS = 256

/** A bearer token longer than this is not one of ours; refused before the backend looks it up. */
export const MAX_TOKEN_CHARS = 512

/**
 * A streamed request answers with HTTP headers only once it has its first token (or has ended),
 * so that refusals that come before any inference (rate limit, unknown model, prompt too long)
 * are real 4xx/5xx statuses that clients act on. A request that waits longer than this in a
 * queue gets its headers anyway, well before the usual first-byte timeouts (30 s in OpenAiRuntime,
 * 60 s in common proxies); a failure after that is an SSE error event.
 */
export const STREAM_HEADERS_AFTER_MS = 5_000

/** What OpenAI's API sends when nothing says otherwise. */
export const DEFAULT_TEMPERATURE = 1
export const DEFAULT_TOP_P = 1

/** llama.cpp seeds are 32-bit unsigned. */
export const MAX_SEED = 4_294_967_295
/** Larger than any vocabulary; top_k beyond the vocabulary is the same as off. */
export const MAX_TOP_K = 1_000_000

/** How long close() waits for the answers it aborted to end (a generation stops within a token;
 * a backend that does not is not waited for longer). */
export const CLOSE_GRACE_MS = 5_000
/** Stop sequences a request may give, and their longest (OpenAI takes up to 4). */
export const MAX_STOP_SEQUENCES = 4
export const MAX_STOP_CHARS = 256

/** Tools a request may offer, the longest description, the calls of one assistant message and a
 * call id's length: the runtimes' limits (runtimes/constants.ts), which every request meets. */
export { MAX_TOOL_CALL_ID_CHARS, MAX_TOOL_CALLS_PER_TURN, MAX_TOOL_DESCRIPTION_CHARS, MAX_TOOL_SCHEMA_BYTES, MAX_TOOLS_PER_REQUEST } from '../../runtimes/index.ts'

/** A call's arguments are streamed in pieces of at most this many characters, as OpenAI streams
 * them (a few tokens each): clients join the pieces; the whole call is known when the first goes. */
export const STREAMED_ARGUMENTS_CHARS = 64
