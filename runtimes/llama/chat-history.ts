import type { ChatHistoryItem } from 'node-llama-cpp'
import { assertNever } from '../../protocols/index.ts'
import type { ChatTurn } from '../runtime.ts'

/** Chat turns as node-llama-cpp's chat wrappers take them. The history ends with an empty model
 * response, so that the template writes the assistant's prefix, unless the last turn is already
 * the assistant's: then the model goes on with it. */
export function chatHistory (turns: readonly ChatTurn[]): ChatHistoryItem[] {
  const history = turns.map((turn): ChatHistoryItem => {
    switch (turn.role) {
      case 'system': return { type: 'system', text: turn.content }
      case 'user': return { type: 'user', text: turn.content }
      case 'assistant': return { type: 'model', response: [turn.content] }
      // tool turns reach this runtime once its function calling is built (issue 37, workstream 2)
      case 'tool': throw new TypeError('the llama.cpp runtime does not take tool turns yet')
      default: return assertNever(turn.role, 'chat role')
    }
  })
  if (turns.at(-1)?.role !== 'assistant') history.push({ type: 'model', response: [] })
  return history
}
