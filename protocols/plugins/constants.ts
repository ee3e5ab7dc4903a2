/** The plugin API this Plexi speaks (semver): a plugin's manifest names the range it supports
 * (`"plexi": "^1.0.0"`), and a plugin whose range does not include it is refused at install. */
export const PLUGIN_API_VERSION = '1.0.0'

/** A plugin's or a registered MCP server's name: it prefixes the names of its tools
 * (`<source>__<tool>`), which OpenAI-style function names limit to 64 characters of
 * [a-zA-Z0-9_-]; 24 leaves 38 for the tool's own name. */
export const SOURCE_NAME_PATTERN = '^[a-z][a-z0-9-]{0,23}$'

/** A tool's own name as an MCP server gives it, kept when it fits an OpenAI function name once
 * prefixed (TOOL_NAME_MAX in all); others are left out of the list, with a log line. */
export const TOOL_NAME_PATTERN = '^[a-zA-Z0-9_-]{1,64}$'
/** A qualified tool name's most characters (OpenAI's function name limit). */
export const TOOL_NAME_MAX = 64
/** Separates the source from the tool in a qualified name: `clock__now`. */
export const TOOL_NAME_SEPARATOR = '__'

/** A manifest's most bytes: it is a short JSON file, never a payload. */
export const MAX_MANIFEST_BYTES = 64 * 1024
/** A package's most bytes (install refuses a larger one): plugins are scripts and small assets;
 * the registry replicates every byte to every plugins-role node. */
export const MAX_PACKAGE_BYTES = 32 * 1024 * 1024
/** Tools one source may offer; past it the rest are left out (a model's prompt holds them all). */
export const MAX_TOOLS_PER_SOURCE = 64
/** A tool call's arguments, JSON-encoded, at most: they come from a model or a client. */
export const MAX_TOOL_ARGS_BYTES = 64 * 1024
/** A tool result's text kept for the conversation, at most (the rest is cut, and says so). */
export const MAX_TOOL_RESULT_BYTES = 64 * 1024
/** A tool call's deadline unless the manifest or the caller says less: a plugin that does not
 * answer in time fails the call, never the agent's turn or the node. */
export const DEFAULT_TOOL_DEADLINE_MS = 10_000
/** A plugin process's memory cap unless its manifest asks for less (it may not ask for more than
 * MAX_PLUGIN_MEMORY_MIB). */
export const DEFAULT_PLUGIN_MEMORY_MIB = 256
export const MAX_PLUGIN_MEMORY_MIB = 2_048
/** A before-post hook's time budget unless the manifest says less: a post waits for it. */
export const DEFAULT_BEFORE_POST_BUDGET_MS = 200
export const MAX_BEFORE_POST_BUDGET_MS = 2_000

/** A tool as an admin grants it to a user's agent and the user turns it on or off: a qualified
 * name, or `<source>__*` for every tool of a source (at most TOOL_NAME_MAX characters). */
export const TOOL_PATTERN = '^[a-z][a-z0-9-]{0,23}__(\\*|[a-zA-Z0-9_-]+)$'
/** A plugin process's least memory cap: Node.js itself takes about 40 MiB before a plugin loads
 * anything, so a lower cap would only kill it at start. */
export const MIN_PLUGIN_MEMORY_MIB = 64
/** The file at a plugin package's root that holds its manifest. */
export const PLUGIN_MANIFEST_FILE = 'plexi-plugin.json'
/** A manifest's description, at most (shown in listings; the README says more). */
export const MAX_PLUGIN_DESCRIPTION = 1_024
/** Paths a manifest may list in `permissions.read` or `write`, and environment variables in
 * `env`, at most: a plugin names a few folders and variables, never a tree. */
export const MAX_PERMISSION_ENTRIES = 32
/** A command entry's arguments, at most. */
export const MAX_ENTRY_ARGS = 64

