/** Limits of the model registry and the model manager, each with why it is what it is (the
 * runtimes' own are in llama/ and openai/, the GGUF reader's in gguf/). */

/** Beyond this many waiting, a request is told its place once, not again at every change (each
 * change would cost a pass over the whole queue). */
export const POSITION_UPDATES_MAX_QUEUE = 1024

/** A remote model file is a few hundred bytes; anything much larger is not one. */
export const MAX_REMOTE_FILE_BYTES = 65_536
/** How old a listing of the models dir may be when a read asks for one (GET /api/v1/models,
 * /v1/models): a file added or removed shows within it; loads, pulls and copies rescan at once. */
export const MODEL_LIST_MAX_AGE_MS = 1_000
/** How old a listing may be when the models dir is watched and the watch said nothing changed
 * there: the watch tells of a file dropped in at once (inotify); this re-check is for filesystems
 * that tell of no change (network filesystems, some container mounts), and costs a readdir and a
 * stat per file every 10 s of reads. */
export const MODEL_LIST_RECHECK_MS = 10_000

/** Tools one request may offer the model: each is documented in the prompt (its description and
 * schema), so a few hundred would fill a small context before the conversation starts; a user
 * granted tools from several plugins (MAX_TOOLS_PER_SOURCE each) stays well under it. */
export const MAX_TOOLS_PER_REQUEST = 128

/** A tool's description, at most: the prompt shows it whole. MCP servers write a paragraph or
 * two; a page is not a description. */
export const MAX_TOOL_DESCRIPTION_CHARS = 8192

/** A tool's parameters schema, JSON-encoded, at most: MCP servers' schemas are a few kilobytes;
 * each is turned into a grammar (llama.cpp) or sent on (a remote server) with every request. */
export const MAX_TOOL_SCHEMA_BYTES = 65_536

/** How deeply a parameters schema may nest: converting it recurses once per level, and no
 * function signature a model can follow nests deeper. */
export const MAX_TOOL_SCHEMA_DEPTH = 32

/** Calls one assistant turn may hold (parallel calls): as many as the tools one request offers
 * is more than any model makes at once. */
export const MAX_TOOL_CALLS_PER_TURN = 64

/** A tool call's id, at most: OpenAI's are about 30 characters, ours 29; room for other servers'. */
export const MAX_TOOL_CALL_ID_CHARS = 256
