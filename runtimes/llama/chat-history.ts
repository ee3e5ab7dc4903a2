import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from 'node-llama-cpp'
import { assertNever } from '../../protocols/index.ts'
import type { ChatTurn } from '../runtime.ts'

/** A tool's result as the model is shown it: JSON as JSON, any other text as a string. */
function resultOf (text: string): unknown {
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(text)
    } catch {
      // text that only looks like JSON is shown as the text it is
    }
  }
  return text
}

/**
 * Chat turns as node-llama-cpp's chat wrappers take them. The history ends with an empty model
 * response, so that the template writes the assistant's prefix, unless the last turn is already
 * the assistant's (or a tool's result): then the model goes on with it.
 *
 * node-llama-cpp keeps a call and its result together inside the model's response, and the model
 * answers on after its results in the same response: so an assistant turn with tool calls, the
 * tool turns with their results and the assistant turn after them make one model response. A tool
 * turn whose call is not there (left out to fit the context) is left out too.
 */
export function chatHistory (turns: readonly ChatTurn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = []
  /** The response the next assistant turn goes on with (after tool calls and their results). */
  let open: ChatModelResponse | undefined
  let calls = new Map<string, ChatModelFunctionCall>()
  for (const turn of turns) {
    switch (turn.role) {
      case 'system':
      case 'user':
        history.push(turn.role === 'system' ? { type: 'system', text: turn.content } : { type: 'user', text: turn.content })
        open = undefined
        calls = new Map()
        break
      case 'assistant': {
        const response = open ?? { type: 'model', response: [] }
        if (open === undefined) history.push(response)
        if (turn.content !== '' || turn.toolCalls === undefined) response.response.push(turn.content)
        calls = new Map()
        for (const call of turn.toolCalls ?? []) {
          const item: ChatModelFunctionCall = { type: 'functionCall', name: call.name, params: call.arguments, result: undefined }
          response.response.push(item)
          calls.set(call.id, item)
        }
        open = turn.toolCalls !== undefined && turn.toolCalls.length > 0 ? response : undefined
        break
      }
      case 'tool': {
        const call = calls.get(turn.toolCallId ?? '')
        if (call !== undefined) call.result = resultOf(turn.content)
        break
      }
      default:
        return assertNever(turn.role, 'chat role')
    }
  }
  const last = history.at(-1)
  if (last?.type !== 'model') history.push({ type: 'model', response: [] })
  return history
}
