import fc from 'fast-check'
import { buildOpenAiServer } from '../../node/openai/index.ts'
import type { OpenAiBackend } from '../../node/openai/index.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'
import { clippedText } from './clipped-text.ts'
import { deepJson, httpRequest } from './http-requests.ts'

const TOKEN = 'plxu_fuzz-token-0123456789abcdef'
const ROUTES = ['POST /v1/chat/completions', 'GET /v1/models', 'GET /v1/models/:id']
const FIELDS = ['model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stream', 'stream_options', 'stop', 'n', 'user', 'seed']

/** A request near a valid completion: the body's fields each right or wrong. */
function completion (): fc.Arbitrary<{ method: 'POST', url: string, headers: Record<string, string>, payload: string }> {
  const turn = fc.record({
    role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'), fc.string({ maxLength: 8 })),
    content: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }), clippedText({ lone: true }))
  }, { requiredKeys: [] })
  const value = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) })
  return fc.record({
    model: value(fc.oneof(fc.constantFrom('tiny', 'agent', 'nope', ''), clippedText())),
    messages: value(fc.array(turn, { maxLength: 3 })),
    max_tokens: value(fc.integer({ min: -1, max: 5000 })),
    temperature: value(fc.double({ min: -1, max: 3 })),
    top_p: value(fc.double({ min: -1, max: 2 })),
    stream: value(fc.boolean()),
    stream_options: value(fc.record({ include_usage: fc.boolean() })),
    stop: value(fc.oneof(fc.string({ maxLength: 4 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 5 })))
  }, { requiredKeys: [] }).map((body) => ({ method: 'POST' as const, url: '/v1/chat/completions', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) }))
}

/** A completion whose body, or one of its fields, nests too deep. */
function deepCompletion (): fc.Arbitrary<{ method: 'POST', url: string, headers: Record<string, string>, payload: string }> {
  return deepJson(FIELDS).map((payload) => ({ method: 'POST' as const, url: '/v1/chat/completions', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload }))
}

/**
 * The OpenAI-compatible endpoint (node/openai) over a backend that answers at once, through inject:
 * any method, path, token and body, and completions near valid ones. Never a 5xx; a refused request
 * (4xx) never reaches the backend (no completion started: nothing generated, nothing counted).
 */
export const openAiFuzz: FuzzTarget = {
  name: 'openai',
  about: 'OpenAI HTTP (inject on the real app): any request → never 5xx; refused requests never reach the backend',
  defaultRuns: 2_000,
  async run (options: FuzzOptions) {
    let completions = 0
    const backend: OpenAiBackend = {
      authenticate: async (token) => token === TOKEN ? 'fuzzer' : undefined,
      models: async () => [{ id: 'tiny', created: 1 }, { id: 'agent', created: 1 }],
      async complete (_user, request, onToken) {
        completions++
        if (request.model === 'nope') throw Object.assign(new Error('no model nope'), { name: 'UnknownModelError', kind: 'not-found' })
        onToken('fuzz')
        return { text: 'fuzz', stopReason: 'max-tokens', promptTokens: 3, completionTokens: 1, droppedTurns: 0, ttftMs: 1, durationMs: 1 }
      }
    }
    const app = await buildOpenAiServer({ backend, logger: false, defaults: { maxTokens: 16, maxTokensLimit: 400 } })
    try {
      const input = fc.oneof(httpRequest(ROUTES, TOKEN, FIELDS), completion(), deepCompletion())
      return await fc.check(fc.asyncProperty(input, async (request) => {
        const before = completions
        const res = await app.inject(request)
        if (res.statusCode >= 500) throw new Error(`${request.method} ${request.url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`)
        // a completion the backend refused (an unknown model) was refused by the backend, not before it
        const refusedByBackend = res.statusCode === 404 && res.body.includes('model_not_found')
        if (res.statusCode >= 400 && !refusedByBackend && completions !== before) throw new Error(`${request.method} ${request.url} refused (${res.statusCode}) after it reached the backend`)
      }), parameters(options))
    } finally {
      await app.close()
    }
  }
}
