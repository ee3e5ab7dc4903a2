/**
 * Limits of the entity behaviours (docs/plugins.md), each with why it is what it is: agents' tool
 * use and the per-user tool policy, and chat commands and post hooks in rooms. The contract's own
 * limits (a call's arguments, a source's tools) are in protocols/plugins.
 */
import { DEFAULT_TOOL_DEADLINE_MS } from '../../protocols/index.ts'

/** Rounds of tool calls one ask may take (the model calls, the results go back, it generates
 * again): enough for a look-up, a follow-up and a check. A model that keeps calling past them is
 * looping, and every round is one more generation the user waits for and is charged for. After
 * the last round the model is shown the tools but may not call them (toolChoice 'none'), so that
 * every ask ends with text. */
export const MAX_TOOL_ROUNDS = 4

/** Calls one round makes at most: they run at once, each a call into a plugin process or a remote
 * server. More in one answer is a model repeating itself; the calls past it are not made (nor kept
 * in the conversation), and the next round may make them. */
export const MAX_TOOL_CALLS_PER_ROUND = 8

/** Tools offered to the model at most, by name: each one's name, description and schema go into
 * the prompt, and past a few dozen they crowd the conversation out of a small context. */
export const MAX_AGENT_TOOLS = 64

/** How long an ask waits for the list of the user's tools (their policy, the sources that offer
 * them) before it answers without tools: a question is never held up long by a plugin or a
 * member that does not answer. */
export const TOOL_LIST_TIMEOUT_MS = 2_000

/** A tool call's deadline as an agent makes it: the contract's default. The provider ends the call
 * with an error result at it; the agent waits AGENT_TOOL_DEADLINE_GRACE_MS more for that answer and
 * then aborts the call itself, so that a provider that does not keep its deadline never holds an
 * ask. */
export const AGENT_TOOL_DEADLINE_MS = DEFAULT_TOOL_DEADLINE_MS
export const AGENT_TOOL_DEADLINE_GRACE_MS = 500

/** A tool result's text kept in the conversation (the rest is cut, and says so): about 4,000
 * tokens, more than a small model's context leaves for one result, and it bounds what a round adds
 * to the agent's state (which a live move carries whole) to MAX_TOOL_CALLS_PER_ROUND times it. */
export const AGENT_TOOL_RESULT_BYTES = 16 * 1024

/** A tool result's text as the asker's stream shows it while the agent answers: a glance at what
 * came back, not the payload (the history has the text the model saw). */
export const STREAM_TOOL_RESULT_BYTES = 1024

/** A tool call's id at most (a runtime's or a model's, OpenAI's `call_…` are about 30). */
export const MAX_TOOL_CALL_ID_LENGTH = 64

/** Grants an admin gives one user at most (qualified names or `<source>__*`): a few sources and
 * their tools; the policy is read on every tool list, so it stays small. */
export const MAX_TOOL_GRANTS = 256

/** Switches one user keeps at most (tools they turned on or off): as many as they can be granted. */
export const MAX_TOOL_SWITCHES = 256

/** A command's name as a plugin declares it and a user types it after the slash: short, lower
 * case, so that `/roll` is never confused with text; a declared name that breaks it is left out. */
export const COMMAND_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/

/** How long a room waits for a command's answer at most, whatever the plugin's call deadline: a
 * room keeps waiting answers in this activation only (a move waits for them), so they end soon. */
export const MAX_COMMAND_DEADLINE_MS = 30_000

/** Commands of one room waiting for their answers at most: past it a command post is refused
 * (RESOURCE_EXHAUSTED) before it is stored, so a flood of commands to a slow plugin cannot grow a
 * room's memory. Answers are posted in command order, so one slow answer holds the ones after it. */
export const MAX_PENDING_COMMANDS = 32

/** Posts of one room waiting for before-post verdicts at most: each waits at most its budget, so
 * this bounds what a burst holds in memory; past it a post is refused (RESOURCE_EXHAUSTED). */
export const MAX_JUDGED_POSTS = 256

/** A plugin's bot answer or a before-post refusal's reason, at most (characters): an answer is a
 * chat post (a node's own text limit is lower, and a longer answer is a failure); a reason is a
 * sentence that goes into a gRPC status. */
export const MAX_REFUSAL_REASON = 512

/** How long a room waits for the post-hooks entity to note it before its first post after an
 * activation: the note is a short write of our own (no plugin is involved); past it the post goes on
 * and the hook entity learns of the room from the post itself (counted, logged). */
export const WATCH_TIMEOUT_MS = 2_000

/** After-post requests of one plugin in flight at once, one room each (a room's posts go one at a
 * time, in seq order): enough to keep a plugin busy, few enough that a slow one is not flooded. */
export const AFTER_POST_ROOMS_IN_FLIGHT = 8

/** A plugin's after-post answer deadline unless its call deadline is shorter: the entity retries a
 * post that got no answer, so a long wait only delays the ones after it. */
export const AFTER_POST_DEADLINE_MS = 10_000

/** Posts of one room the after-post hooks may lag behind its head at most: a plugin down for long
 * then gets the newest posts, not a day of stale ones; the oldest past the bound are skipped,
 * counted (`skipped`) and logged. Far more than a plugin restart leaves behind. */
export const MAX_AFTER_POST_LAG = 10_000

/** Posts a post-hooks entity keeps from the rooms' pushes at most, all rooms together: past it a
 * push is not kept, and the post is read from the room's journal when its turn comes (nothing is
 * lost; the bound is only memory). */
export const MAX_AFTER_POST_BUFFERED = 4_096

/** Posts read from a room's journal at once when a hook entity catches up. */
export const AFTER_POST_PAGE = 100

/** Delivered posts between two durable cursor notes of a room: after a crash at most this many are
 * sent again (at least once); every note is a write. A room that catches up is noted at once. */
export const AFTER_POST_CHECKPOINT_EVERY = 32

/** The first wait before an after-post request that failed is sent again, doubling up to
 * AFTER_POST_RETRY_MAX_MS: a plugin restarting is back within a few of them. */
export const AFTER_POST_RETRY_FIRST_MS = 250
export const AFTER_POST_RETRY_MAX_MS = 30_000

/** How often a post-hooks entity looks at its rooms while it watches any (retries due, rooms idle). */
export const AFTER_POST_TICK_MS = 250

/** A room caught up and quiet this long is no longer watched (one durable note less to keep). */
export const AFTER_POST_UNWATCH_MS = 10_000

/** Records an erasure reads from a room's journal at a time: a page is a few hundred KiB at most
 * (posts are within MAX_CHAT_TEXT_BYTES, most far below), and a room of a million records is read
 * in a thousand reads. */
export const ERASE_SCAN_PAGE = 1_000

/** Redactions an erasure journals in one write, and posts it rewrites in one rewrite: each
 * redaction is ~60 bytes, a rewritten post smaller than it was, so one write stays far below a
 * mesh frame (4 MiB) while a user's 10,000 posts in a room take ten writes. */
export const REDACT_BATCH = 1_000

/** ms in a day, for retention in days. */
export const DAY_MS = 86_400_000
/** Records one export page of a room or an agent holds at most: a page is one ask to the entity's
 * owner and one journal read there, so few large pages make an export fast (≥ 50 MiB/s of JSON
 * wants a few hundred thousand records a second; a 1,000-record page cost a hop each); and
 * EXPORT_PAGE_BYTES bounds its size whatever the records hold. */
export const MAX_EXPORT_PAGE_RECORDS = 10_000

/** The text a page carries at most (posts' and answers' UTF-8 bytes, summed): a page crosses the
 * mesh as one frame (protocols/p2p MAX_FRAME_BYTES, 4 MiB), so it stays well under it with every
 * record's other fields; a page always holds at least one record (one post is at most
 * MAX_CHAT_TEXT_BYTES, 1 MiB). */
export const EXPORT_PAGE_BYTES = 2 * 1024 * 1024

/** Ranges of redacted seqs an `export-head` answer carries at most (about 11 bytes each on the
 * wire: well within a frame); a room with more (a user's posts erased a few at a time among many
 * others') answers that nothing is read locally, and the export asks for every page. */
export const MAX_EXPORT_HEAD_RANGES = 65_536

/** Peer ids as an `export-head` names its reader: a libp2p peer id is about 52 characters. */
export const MAX_READER_LENGTH = 128

/** Posts (or turns) one import batch holds at most: the batch is one journal append (one durable
 * write on W replicas), so ≥ 20,000 posts/s on 3 nodes needs large batches; past a few thousand
 * records an append's frames grow and a room's mailbox waits on one write too long. */
export const MAX_IMPORT_BATCH_POSTS = 1_000

/** The text one import batch holds at most (UTF-8 bytes, summed): a batch crosses the mesh as one
 * frame (4 MiB) and is appended as one write, so it stays under it with every record's fields. A
 * batch of one post of MAX_CHAT_TEXT_BYTES (1 MiB) always fits. */
export const MAX_IMPORT_BATCH_BYTES = 2 * 1024 * 1024

/** Import sources a room or an agent remembers a watermark for (its state keeps one number per
 * source and travels whole in snapshots and moves): more is not a migration but a script; past it
 * an import from a new source is refused (ImportSourcesFullError). */
export const MAX_IMPORT_SOURCES = 256

/** A source id at most (characters): `<cluster>/<room|agent>/<name>/<export id>`, printable ASCII. */
export const MAX_IMPORT_SOURCE_LENGTH = 256

/** The longest author name an imported record may carry: a user name, an agent's display name
 * (`<user>'s agent`) or a plugin's bot (`<plugin>[bot]`), as room messages carry them. */
export const MAX_IMPORTED_AUTHOR_LENGTH = 256
