/** Limits, defaults and timings of the llama.cpp runtime and its worker threads, each with why it
 * is what it is. */

/** Tokens per context when none is asked for (and the model allows as many): larger contexts cost
 * KV-cache memory in every slot whether a conversation needs it or not. */
export const DEFAULT_CONTEXT_SIZE = 2048

/** Sequences one llama.cpp context may hold (`n_seq_max must be <= 256`, checked with the bundled
 * build): a worker's conversations, those it runs and those it only keeps, are sequences of its
 * one context, so at most this many. */
export const MAX_SEQUENCES = 256

/** Bytes per KV-cache element, for the memory estimate: llama.cpp keeps K and V in f16 unless told
 * otherwise. */
export const KV_ELEMENT_BYTES = 2

/** How long unload() waits for cancelled requests to leave llama.cpp before it terminates the
 * workers anyway. A cancelled request stops at its next token, which for one still evaluating its
 * prompt comes after the whole prompt (seconds for a long one on the CPU); reaching this means a
 * worker is stuck. */
export const UNLOAD_DRAIN_MS = 30_000

/** How long unload() gives the workers to save the KV caches they hold: a state is a few
 * megabytes to a gigabyte written to a local disk; past this the node's stop would wait on it. */
export const UNLOAD_SAVE_MS = 10_000

/** Bytes the saved KV caches may take on disk when the node gives no budget: a bound on disk use,
 * about a hundred full-context conversations of the test model (8 MiB each at 2048 tokens). */
export const DEFAULT_KV_STATE_BUDGET = 1024 * 1_048_576

/** Cache keys whose worker is remembered (and states that arrived from another node): a hint for
 * affinity, so a bound costs a miss at worst, and keeps the map from growing with every user. */
export const MAX_AFFINITY_KEYS = 10_000

/** An agent's key is `agent/<user>` plus the model's name: well under this. */
export const MAX_CACHE_KEY_LENGTH = 512

/** As OpenAI's API: a few stop sequences, short ones (each is checked against every piece). */
export const MAX_STOP_STRINGS = 4
export const MAX_STOP_LENGTH = 256

/** Text generated within this long of the last message to the runtime joins the next message:
 * below what a reader can tell apart (a 60 Hz screen shows a frame every 16.7 ms). */
export const COALESCE_MS = 16

/** A saved KV state's description is a few hundred bytes; a larger file is not one. */
export const MAX_KV_META_BYTES = 4096

/** The most repetitions a tool's schema may ask of the grammar (a string's maxLength, an array's
 * maxItems): llama.cpp compiles `x{0,n}` into n nested rules, so a larger bound costs the grammar's
 * memory and every token's sampling time for no real call's benefit. A forced call's schema over
 * it is refused; with tool choice "auto" the bound is left out of the grammar. */
export const MAX_GRAMMAR_REPEAT = 1024

/** Grammars a worker keeps compiled, each for one tool's schema or one set of tool names: an
 * agent's tools come back with every turn, and compiling costs a few milliseconds each time. */
export const MAX_CACHED_GRAMMARS = 256

/** Tokens of the embedding context a worker makes for search (node/search): a post's first 512
 * tokens say what it is about, and the embedding models named in docs/search.md take 512. */
export const EMBED_CONTEXT_SIZE = 512
