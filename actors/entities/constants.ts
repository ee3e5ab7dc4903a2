/**
 * Limits of agents' tool use and of the per-user tool policy (issue 37), each with why it is what
 * it is. The contract's own limits (a call's arguments, a source's tools) are in protocols/plugins.
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
