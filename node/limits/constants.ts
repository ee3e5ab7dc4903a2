/** Limits of the per-client limits, each with why it is what it is. */

/** Client addresses whose buckets are kept (least recently seen forgotten first; a forgotten
 * bucket is a full one): a few MiB at most, whoever connects. */
export const MAX_CLIENTS = 100_000

/**
 * Deepest nesting of arrays and objects a JSON request body may have. No body of the admin or the
 * OpenAI endpoint nests more than 4 (a completion's messages → a turn → its content parts → a
 * part). Past the parser, much of what handles a body recurses once per level (JSON.stringify, a
 * logger's serializer, the audit trail's detail, a validator's error message): a 10 KB body of 5,000
 * brackets answered 500 "Maximum call stack size exceeded" from the audit hook (found by fuzzing).
 * 64 leaves room for any client's habits and stays far from any stack.
 */
export const MAX_JSON_DEPTH = 64

/** Entries of a forwarded-for list read at most: a longer list is a client's invention (no real
 * request crosses 16 proxies). */
export const MAX_HOPS = 16
