import { InvalidToolCallError, MAX_TOOL_ARGS_BYTES, TOOL_NAME_MAX, TOOL_NAME_SEPARATOR } from '../../protocols/index.ts'
import type { ToolCall } from '../../protocols/index.ts'

/** A call id's most characters (OpenAI's are ~30; a model's or a client's, never a payload). */
const MAX_CALL_ID = 128

/** `value` as a ToolCall, checked like any input (it comes from a model, a client or another
 * member): an id, a qualified name that splits into a source and a tool, arguments that are a
 * JSON object of at most MAX_TOOL_ARGS_BYTES. InvalidToolCallError names what is wrong. */
export function checkToolCall (value: unknown): ToolCall & { readonly source: string, readonly tool: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidToolCallError('a tool call is an object { id, name, arguments }')
  const c = value as Record<string, unknown>
  if (typeof c.id !== 'string' || c.id.length === 0 || c.id.length > MAX_CALL_ID) throw new InvalidToolCallError(`id: expected a string of 1 to ${MAX_CALL_ID} characters`)
  const split = splitToolName(c.name)
  if (split === undefined) throw new InvalidToolCallError(`name: expected a tool's qualified name (<source>${TOOL_NAME_SEPARATOR}<tool>, at most ${TOOL_NAME_MAX} characters)`)
  const args = c.arguments
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new InvalidToolCallError(`arguments of ${split.name}: expected a JSON object`)
  let bytes: number
  try {
    bytes = Buffer.byteLength(JSON.stringify(args))
  } catch {
    throw new InvalidToolCallError(`arguments of ${split.name}: not JSON`)
  }
  if (bytes > MAX_TOOL_ARGS_BYTES) throw new InvalidToolCallError(`arguments of ${split.name}: ${bytes} bytes, over the ${MAX_TOOL_ARGS_BYTES}-byte limit`)
  return { id: c.id, name: split.name, arguments: args as Record<string, unknown>, source: split.source, tool: split.tool }
}

/** A qualified tool name's source and tool (source names have no underscore, so the first
 * separator splits it), or undefined when it is not one. */
export function splitToolName (name: unknown): { name: string, source: string, tool: string } | undefined {
  if (typeof name !== 'string' || name.length > TOOL_NAME_MAX) return undefined
  const at = name.indexOf(TOOL_NAME_SEPARATOR)
  if (at <= 0 || at + TOOL_NAME_SEPARATOR.length >= name.length) return undefined
  return { name, source: name.slice(0, at), tool: name.slice(at + TOOL_NAME_SEPARATOR.length) }
}
