import type { ChatTurn } from '../runtime.ts'
import { BYTES_PER_TOKEN, TOKENS_PER_TURN } from './constants.ts'

/** A conservative count of the tokens a turn takes in a remote model's prompt (see BYTES_PER_TOKEN:
 * without the model's tokenizer, an over-count keeps us inside the context). */
export function estimateTokens (turn: ChatTurn): number {
  // an assistant turn's calls go to the server as JSON, a tool turn names the call it answers
  const calls = turn.toolCalls === undefined ? 0 : Buffer.byteLength(JSON.stringify(turn.toolCalls), 'utf8')
  const id = turn.toolCallId === undefined ? 0 : Buffer.byteLength(turn.toolCallId, 'utf8')
  return Math.ceil((Buffer.byteLength(turn.content, 'utf8') + calls + id) / BYTES_PER_TOKEN) + TOKENS_PER_TURN
}
