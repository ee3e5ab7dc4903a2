import type { ToolCall } from '../../protocols/index.ts'
import type { ChatTurn } from '../../runtimes/index.ts'
import type { FieldRefusal } from './openai-error.ts'
import type { MessageBody } from './openai-schemas.ts'

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A message's text: text parts joined as separate lines, as vLLM and llama-server do. */
function text (content: MessageBody['content']): string | null {
  if (content === undefined || content === null) return null
  return typeof content === 'string' ? content : content.map((part) => part.text).join('\n')
}

/** An assistant message's calls, their arguments parsed (each must be a JSON object). */
function calls (message: MessageBody, at: string): ToolCall[] | FieldRefusal {
  const parsed: ToolCall[] = []
  for (const [j, call] of (message.tool_calls ?? []).entries()) {
    const where = `${at}.tool_calls[${j}]`
    if (parsed.some((c) => c.id === call.id)) return { param: `${where}.id`, message: `${where}.id: ${JSON.stringify(call.id)} is used twice in the message` }
    let args: unknown
    try {
      args = JSON.parse(call.function.arguments)
    } catch {
      args = undefined
    }
    if (!isObject(args)) return { param: `${where}.function.arguments`, message: `${where}.function.arguments must be a JSON object, as a string` }
    parsed.push({ id: call.id, name: call.function.name, arguments: args })
  }
  return parsed
}

/**
 * The request's messages as chat turns: an assistant message's tool_calls as its calls (arguments
 * parsed), a tool message as the result of the call it names. What the body's schema cannot say is
 * checked here, with the field named as OpenAI does: content is null only in an assistant message
 * that calls tools, a call's arguments are a JSON object, and a tool message answers a call of the
 * assistant message before it (only tool messages between them), each call at most once.
 */
export function chatTurns (messages: readonly MessageBody[]): ChatTurn[] | FieldRefusal {
  const turns: ChatTurn[] = []
  /** The calls of the last assistant message not answered yet. */
  let open: Set<string> | undefined
  for (const [i, message] of messages.entries()) {
    const at = `messages[${i}]`
    const content = text(message.content)
    if (message.role === 'tool') {
      const id = message.tool_call_id ?? ''
      if (open?.delete(id) !== true) {
        return { param: `${at}.tool_call_id`, message: `${at}.tool_call_id: a tool message answers a call of the assistant message before it, and ${JSON.stringify(id)} is none of its calls not answered yet` }
      }
      if (content === null) return { param: `${at}.content`, message: `${at}.content must be the tool's result, a string or text parts` }
      turns.push({ role: 'tool', content, toolCallId: id })
      continue
    }
    open = undefined
    if (message.tool_calls !== undefined && message.tool_calls !== null && message.role !== 'assistant') return { param: `${at}.tool_calls`, message: `${at}.tool_calls: only an assistant message calls tools` }
    const called = calls(message, at)
    if (!Array.isArray(called)) return called
    if (content === null && called.length === 0) return { param: `${at}.content`, message: `${at}.content must be a string or text parts (null only in an assistant message that calls tools)` }
    if (called.length === 0) {
      turns.push({ role: message.role, content: content ?? '' })
      continue
    }
    turns.push({ role: 'assistant', content: content ?? '', toolCalls: called })
    open = new Set(called.map((call) => call.id))
  }
  return turns
}
