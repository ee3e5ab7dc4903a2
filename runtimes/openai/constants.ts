/** Limits and defaults of the OpenAI-compatible HTTP runtime, each with why it is what it is. */

/** How long the server may take to answer (status and headers) before it counts as unreachable.
 * Generous, since a busy server queues before it answers; a stream that has started is never
 * timed out (a long answer is not a dead server; the caller's AbortSignal ends it). */
export const DEFAULT_TIMEOUT_MS = 30_000

/**
 * The token estimate used to fit a conversation into the context, without the remote model's
 * tokenizer: UTF-8 bytes / BYTES_PER_TOKEN per turn, plus TOKENS_PER_TURN for the chat template's
 * role markers, plus TOKENS_PER_PROMPT once (BOS and the assistant header that opens the answer).
 * BPE tokenizers average about 4 bytes per token on English and about 3 on code or CJK text, so
 * 3 over-counts for them, which keeps us under the context. A byte-level tokenizer (1 token per
 * byte, like the project's tiny test model) is under-counted; the server then truncates or refuses,
 * and its error comes back as RemoteInferenceError.
 */
export const BYTES_PER_TOKEN = 3
/** ChatML and Llama 3 both wrap a turn in 5 tokens (start marker, role, newline(s), end marker). */
export const TOKENS_PER_TURN = 5
export const TOKENS_PER_PROMPT = 8

/** One streamed chunk is a few hundred bytes of JSON; a megabyte without an end of line is not a
 * chunk but a broken or hostile server, and buffering it further would only grow our memory. */
export const MAX_EVENT_CHARS = 1_048_576

/** Error bodies are read this far (enough for any JSON error; an HTML error page is cut). */
export const MAX_ERROR_BODY_BYTES = 16_384

/** Model ids named in an UnknownModelError message (a server may list hundreds). */
export const MAX_MODELS_IN_MESSAGE = 20

/** A model list is a few kilobytes; some gateways list hundreds of models, still well under this. */
export const MAX_MODELS_BODY_BYTES = 4_194_304
