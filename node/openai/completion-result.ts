import type { GenerateResult } from '../../runtimes/index.ts'

export type FinishReason = 'stop' | 'length' | 'tool_calls'

/** A completion's end in OpenAI's words. OpenAI has no 'cancelled' or 'context-full': a full
 * context stopped the answer at a length. */
export function finishReason (result: GenerateResult): FinishReason {
  if (result.stopReason === 'tool-calls') return 'tool_calls'
  return result.stopReason === 'max-tokens' || result.stopReason === 'context-full' ? 'length' : 'stop'
}

/** A call as OpenAI's answers hold it. */
export interface ToolCallAnswer {
  readonly id: string
  readonly type: 'function'
  readonly function: { readonly name: string, readonly arguments: string }
}

/** The completion's tool calls as OpenAI's `tool_calls`, their arguments a JSON string. */
export function toolCalls (result: GenerateResult): ToolCallAnswer[] {
  return (result.toolCalls ?? []).map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } }))
}

/** A completion's token counts as OpenAI's `usage`. */
export function usage (result: GenerateResult): { prompt_tokens: number, completion_tokens: number, total_tokens: number } {
  return { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens }
}
