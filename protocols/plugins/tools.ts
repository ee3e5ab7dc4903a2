/**
 * Tools, as every part of Plexi sees them whatever provides them: a plugin or an MCP server an
 * admin registered (both speak MCP), offered to agents through llama.cpp's function calling and to
 * clients of the OpenAI-compatible endpoint as `tools`.
 */

/** Where a tool comes from. */
export interface ToolSource {
  /** A plugin, a registered MCP server, or Plexi itself (a built-in tool: plexi__search). */
  readonly kind: 'plugin' | 'server' | 'builtin'
  /** The plugin's or the server's name (SOURCE_NAME_PATTERN). */
  readonly name: string
}

export interface ToolSpec {
  /** Qualified, unique in the cluster: `<source>__<tool>` (qualifiedToolName). */
  readonly name: string
  readonly source: ToolSource
  /** The tool's own name at its source (what the MCP `tools/call` names). */
  readonly tool: string
  readonly description: string
  /** The JSON schema of its arguments (an object schema, as MCP's `inputSchema`). */
  readonly inputSchema: Readonly<Record<string, unknown>>
}

/** A call of a tool, by a model or a client. */
export interface ToolCall {
  /** Unique within the turn (OpenAI's `tool_calls[].id`). */
  readonly id: string
  /** The qualified name. */
  readonly name: string
  /** The arguments, already parsed (a JSON object). */
  readonly arguments: Readonly<Record<string, unknown>>
}

export interface ToolResult {
  readonly callId: string
  /** The tool failed (it said so, timed out, its source is down or refused the call): `text`
   * says why, in words a model and a user can read. */
  readonly isError: boolean
  /** What the tool answered, as text (MCP text content joined; other content described). */
  readonly text: string
}

/** Which tools a generation may call: none, any (the model decides), at least one, or the one named
 * (OpenAI's `tool_choice`). A forced call's arguments always validate against the tool's schema:
 * the runtime constrains the model's output with a grammar made from it. */
export type ToolChoice = 'none' | 'auto' | 'required' | { readonly name: string }

/** What calls tools for a user: the node's tools (its plugins, the cluster's others through the
 * members that run them, the registered servers). */
export interface ToolProvider {
  /** The tools `user` may call now (their admin's grant, less what they turned off). */
  tools (user: string): Promise<readonly ToolSpec[]>
  /** Calls one; never throws for the tool's own failure (a ToolResult with isError), only for
   * a call that is not the user's to make (ToolDeniedError) or malformed (InvalidToolCallError). */
  call (user: string, call: ToolCall, opts?: { readonly signal?: AbortSignal, readonly deadlineMs?: number }): Promise<ToolResult>
}

/** `<source>__<tool>`, or undefined when it would not fit an OpenAI function name. */
export function qualifiedToolName (source: string, tool: string): string | undefined {
  const name = `${source}__${tool}`
  return name.length <= 64 && /^[a-zA-Z0-9_-]+$/.test(tool) ? name : undefined
}
