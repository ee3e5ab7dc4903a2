import type { GenerateResult } from '../../runtimes/index.ts'

/** A completion's end in OpenAI's words. OpenAI has no 'cancelled' or 'context-full': a full
 * context stopped the answer at a length. */
export function finishReason (result: GenerateResult): 'stop' | 'length' {
  return result.stopReason === 'max-tokens' || result.stopReason === 'context-full' ? 'length' : 'stop'
}

/** A completion's token counts as OpenAI's `usage`. */
export function usage (result: GenerateResult): { prompt_tokens: number, completion_tokens: number, total_tokens: number } {
  return { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens }
}
