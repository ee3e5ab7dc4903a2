import type { GenerateRequest } from '../runtime.ts'
import { checkToolRequest } from '../tool-request.ts'
import { MAX_CACHE_KEY_LENGTH, MAX_STOP_LENGTH, MAX_STOP_STRINGS } from './constants.ts'
import { grammarSchema } from './tool-schema.ts'

const ROLES = new Set(['system', 'user', 'assistant', 'tool'])

/** Checked in the main thread, before a worker sees it: a bad request fails at once (RangeError or
 * TypeError, saying what was expected; UnsupportedToolSchemaError for a tool's schema the grammar
 * cannot hold a forced call to) and costs no slot. */
export function checkGenerateRequest (request: GenerateRequest): void {
  const { input, params, cacheKey } = request
  if (cacheKey !== undefined && (typeof cacheKey !== 'string' || cacheKey.length === 0 || cacheKey.length > MAX_CACHE_KEY_LENGTH)) {
    throw new RangeError(`cacheKey must be a string of 1 to ${MAX_CACHE_KEY_LENGTH} characters`)
  }
  if (params.stop !== undefined) {
    if (!Array.isArray(params.stop) || params.stop.length > MAX_STOP_STRINGS) throw new RangeError(`stop must be a list of at most ${MAX_STOP_STRINGS} strings`)
    for (const stop of params.stop) {
      if (typeof stop !== 'string' || stop.length === 0 || stop.length > MAX_STOP_LENGTH) throw new RangeError(`each stop string must have 1 to ${MAX_STOP_LENGTH} characters`)
    }
  }
  if (!Number.isSafeInteger(params.maxTokens) || params.maxTokens < 1) throw new RangeError(`maxTokens must be an integer >= 1, got ${params.maxTokens}`)
  if (!Number.isFinite(params.temperature) || params.temperature < 0) throw new RangeError(`temperature must be >= 0, got ${params.temperature}`)
  if (!Number.isFinite(params.topP) || params.topP <= 0 || params.topP > 1) throw new RangeError(`topP must be in (0, 1], got ${params.topP}`)
  if (!Number.isSafeInteger(params.topK) || params.topK < 0) throw new RangeError(`topK must be an integer >= 0, got ${params.topK}`)
  if (params.seed !== undefined && (!Number.isSafeInteger(params.seed) || params.seed < 0)) throw new RangeError(`seed must be an integer >= 0, got ${params.seed}`)
  if ('prompt' in input) {
    if (typeof input.prompt !== 'string') throw new TypeError(`prompt must be a string, got ${typeof input.prompt}`)
    // the chat wrapper shows the model its tools and how to call them: a raw prompt has none
    if (request.tools !== undefined && request.tools.length > 0) throw new TypeError('tools need chat messages, not a raw prompt')
    return
  }
  if (!Array.isArray(input.messages) || input.messages.length === 0) throw new RangeError('messages must be a non-empty list of chat turns')
  for (const turn of input.messages) {
    if (!ROLES.has(turn?.role) || typeof turn.content !== 'string') {
      throw new TypeError(`a chat turn must be { role: 'system' | 'user' | 'assistant' | 'tool', content: string }, got ${JSON.stringify(turn).slice(0, 100)}`)
    }
  }
  checkToolRequest(request)
  // a forced call's arguments must always validate: its tools' schemas must be ones the grammar enforces
  const strict = request.toolChoice !== undefined && request.toolChoice !== 'auto' && request.toolChoice !== 'none'
  for (const tool of request.tools ?? []) grammarSchema(tool, strict)
}
