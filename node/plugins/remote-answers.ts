import { MAX_TOOL_RESULT_BYTES, qualifiedToolName } from '../../protocols/index.ts'
import type { ToolResult, ToolSpec } from '../../protocols/index.ts'
import { MAX_REMOTE_TOOLS, MAX_TOOL_DESCRIPTION, MAX_TOOL_SCHEMA_BYTES } from './constants.ts'
import { InvalidPluginRequestError } from './errors.ts'

/** What another member's `/plugins` answered to a tool call, checked like any input from the
 * wire: a result for this call, its text within the limit (and the note of a cut). */
export function checkRemoteResult (callId: string, value: unknown): ToolResult {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  if (r.callId !== callId || typeof r.isError !== 'boolean' || typeof r.text !== 'string' || Buffer.byteLength(r.text) > MAX_TOOL_RESULT_BYTES + 64) {
    throw new InvalidPluginRequestError(`a member answered the call ${callId.slice(0, 64)} with something that is not its tool result`)
  }
  return { callId, isError: r.isError, text: r.text }
}

/** Another member's tool list, checked like any input from the wire: each tool well formed (its
 * qualified name from its source and own name, an object schema within the limit); the others
 * are dropped. */
export function checkRemoteTools (value: unknown): ToolSpec[] {
  if (!Array.isArray(value)) throw new InvalidPluginRequestError('a member answered a tool listing with something that is not a list')
  const out: ToolSpec[] = []
  for (const raw of value.slice(0, MAX_REMOTE_TOOLS)) {
    const t = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
    const source = (typeof t.source === 'object' && t.source !== null ? t.source : {}) as Record<string, unknown>
    if (source.kind !== 'plugin' && source.kind !== 'server') continue
    if (typeof source.name !== 'string' || typeof t.tool !== 'string' || typeof t.name !== 'string') continue
    if (qualifiedToolName(source.name, t.tool) !== t.name || !/^[a-z][a-z0-9-]{0,23}$/.test(source.name)) continue
    if (typeof t.description !== 'string' || t.description.length > MAX_TOOL_DESCRIPTION) continue
    const schema = t.inputSchema
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || (schema as { type?: unknown }).type !== 'object') continue
    if (Buffer.byteLength(JSON.stringify(schema)) > MAX_TOOL_SCHEMA_BYTES) continue
    out.push({ name: t.name, source: { kind: source.kind, name: source.name }, tool: t.tool, description: t.description, inputSchema: schema as Record<string, unknown> })
  }
  return out
}
