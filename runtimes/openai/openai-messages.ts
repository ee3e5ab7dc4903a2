import type { ToolChoice } from '../../protocols/index.ts'
import type { ChatTurn, ToolDefinition } from '../runtime.ts'

/** A chat turn as OpenAI's API takes it: an assistant's calls as `tool_calls` (arguments as a JSON
 * string, content null when it said nothing else), a tool's result with the `tool_call_id` it answers. */
export function openAiMessage (turn: ChatTurn): Record<string, unknown> {
  if (turn.role === 'tool') return { role: 'tool', tool_call_id: turn.toolCallId, content: turn.content }
  if (turn.role !== 'assistant' || turn.toolCalls === undefined || turn.toolCalls.length === 0) return { role: turn.role, content: turn.content }
  return {
    role: 'assistant',
    content: turn.content === '' ? null : turn.content,
    tool_calls: turn.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } }))
  }
}

/** A request's tools and tool choice as OpenAI's `tools` and `tool_choice` (nothing without tools). */
export function openAiTools (tools: readonly ToolDefinition[] | undefined, choice: ToolChoice | undefined): Record<string, unknown> {
  if (tools === undefined || tools.length === 0) return {}
  return {
    tools: tools.map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } })),
    ...(choice !== undefined && { tool_choice: typeof choice === 'object' ? { type: 'function', function: { name: choice.name } } : choice })
  }
}
