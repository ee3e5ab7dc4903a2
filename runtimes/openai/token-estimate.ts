import type { ChatTurn } from '../runtime.ts'
import { BYTES_PER_TOKEN, TOKENS_PER_TURN } from './constants.ts'

/** A conservative count of the tokens a turn takes in a remote model's prompt (see BYTES_PER_TOKEN:
 * without the model's tokenizer, an over-count keeps us inside the context). */
export function estimateTokens (turn: ChatTurn): number {
  return Math.ceil(Buffer.byteLength(turn.content, 'utf8') / BYTES_PER_TOKEN) + TOKENS_PER_TURN
}
