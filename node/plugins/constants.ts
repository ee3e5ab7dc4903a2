/** Timings and limits of the plugin host (docs/plugins.md, "The host"), each with why. */

/** Where each plugin's (and registered stdio server's) own folder is, under the data dir:
 * `<data-dir>/plugins-data/<name>/`, its cwd and the only place it may be granted files. */
export const PLUGIN_DATA_DIR = 'plugins-data'

/** From spawning a plugin to its tools listed: a Node.js process starts in ~50 ms, an npx-started
 * server in a few seconds; past this the start failed (and is retried with backoff). */
export const PLUGIN_START_TIMEOUT_MS = 10_000

/** How often a plugin that is up is pinged: a hung plugin (a busy loop, a deadlock) answers no
 * ping and is killed within PING_INTERVAL + PING_TIMEOUT, even when no call is waiting on it. */
export const PLUGIN_PING_INTERVAL_MS = 5_000
/** A ping's deadline: a plugin that reads its stdin answers at once; 2 s spares a busy machine. */
export const PLUGIN_PING_TIMEOUT_MS = 2_000

/** How often a plugin's memory (its process tree's RSS) is read: a plugin that allocates 1 GiB a
 * second is killed within about this much over its cap; one read is a small /proc file. */
export const PLUGIN_MEMORY_SAMPLE_MS = 250

/** The first wait before a plugin that exited is started again, doubling at each exit after a
 * short run, up to PLUGIN_RESTART_MAX_MS: a plugin that crashes at start costs a spawn every 30 s
 * at worst, and one that crashed once comes back at once. */
export const PLUGIN_RESTART_FIRST_MS = 100
export const PLUGIN_RESTART_MAX_MS = 30_000
/** A run at least this long resets the backoff: the plugin was healthy, its next exit is a new
 * incident, not the same crash loop. */
export const PLUGIN_STABLE_MS = 60_000

/** A stopped plugin gets this long, its stdin closed and then SIGTERM, before SIGKILL: MCP servers
 * exit when their stdin ends; one that does not is not waited for longer. */
export const PLUGIN_STOP_GRACE_MS = 2_000

/** A stop waits for the calls in flight on the plugin (a hot swap drains the old version) at most
 * this long, the longest deadline a call can have. */
export const PLUGIN_DRAIN_MS = 10_000

/** When the node stops, its plugins' calls in flight get this long to finish (the node drained
 * its clients first): with the stop's grace it stays well within a part's 10 s to stop. */
export const PLUGIN_CLOSE_DRAIN_MS = 3_000

/** One JSON-RPC line from a plugin, at most: a tool result is cut to MAX_TOOL_RESULT_BYTES anyway,
 * and a plugin that writes more without a newline would grow the node's memory; past it the
 * plugin is killed as broken. */
export const MAX_PLUGIN_MESSAGE_BYTES = 4 * 1024 * 1024

/** Calls and requests in flight on one plugin, at most: more are refused (exhausted) at once
 * rather than queued behind a plugin that may be slow or stuck. */
export const MAX_PLUGIN_IN_FLIGHT = 256

/** Lines of a plugin's stderr kept for `plugins logs` (the newest), and the longest line kept. */
export const PLUGIN_LOG_LINES = 500
export const MAX_PLUGIN_LOG_LINE = 2_000

/** A tool's description kept, at most (the model's prompt carries every description). */
export const MAX_TOOL_DESCRIPTION = 1_024
/** A tool's input schema, JSON-encoded, at most: larger ones are left out of the list (with a log
 * line); a model's grammar is built from it. */
export const MAX_TOOL_SCHEMA_BYTES = 16 * 1024
/** Pages of `tools/list` read from one source, at most (with MAX_TOOLS_PER_SOURCE tools kept). */
export const MAX_TOOL_LIST_PAGES = 8

/** Chat commands one plugin may declare, and a command's name and description at most. */
export const MAX_PLUGIN_COMMANDS = 32
export const COMMAND_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/
export const MAX_COMMAND_DESCRIPTION = 256
/** A chat command's answer, at most (posted in a room as one message; longer ones are cut, as a
 * tool result is). */
export const MAX_COMMAND_TEXT = 64 * 1024
/** A before-post refusal's reason, at most (it is shown to the poster). */
export const MAX_REFUSAL_REASON = 512

/** A call on another member waits this much past its deadline for the answer: the mesh's hop and
 * the member's own deadline error come back within it. */
export const REMOTE_CALL_SLACK_MS = 2_000
/** How long a member is given to list its tools (a listing from memory, one hop). */
export const REMOTE_TOOLS_TIMEOUT_MS = 2_000
/** A member's tool list is asked again after this long even when its record names the same
 * sources (a plugin may change its tools without a new version). */
export const TOOLS_CACHE_MS = 30_000
/** Tools a member's listing may hold, at most (a member runs a few dozen sources). */
export const MAX_REMOTE_TOOLS = 4_096

/** How often a plugins-role member reads the registered servers and connects to the new ones:
 * a registration reaches every member within it; a read is one small ask. */
export const SERVER_SYNC_MS = 2_000
/** A registered server whose connection failed is tried again after this long, doubling while it
 * fails, up to SERVER_RETRY_MAX_MS (a server that is down costs a try a minute at most). */
export const SERVER_RETRY_FIRST_MS = 2_000
export const SERVER_RETRY_MAX_MS = 60_000
/** How long the registry entity is given to answer (a journaled write, or a read from memory). */
export const SERVER_REGISTRY_ASK_MS = 10_000
/** A failed connection's reason as a member reports it to the admin API, at most (an error's
 * message: enough to say what failed; the rest is in the member's log). */
export const MAX_SERVER_ERROR = 1_000
/** How long each plugins-role member is given to say what it runs (from memory, one hop); one
 * that says nothing in time is named as unreachable, not waited for. */
export const SERVER_STATUS_ASK_MS = 3_000
