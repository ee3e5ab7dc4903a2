import { expect } from 'chai'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import OpenAI from 'openai'
import { pino } from 'pino'
import { InferenceQueueFullError } from '../../../runtimes/index.ts'
import { buildOpenAiServer } from '../../../node/openai/index.ts'
import { MAX_JSON_DEPTH } from '../../../node/limits/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { ALICE_TOKEN, BOB_TOKEN, CREATED, RuntimeBackend, MODEL, result } from './runtime-backend.ts'

const DEFAULT_MAX_TOKENS = 16
const MAX_TOKENS_LIMIT = 400

describe('buildOpenAiServer', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let backend: RuntimeBackend
  let app: FastifyInstance
  let baseURL: string
  let client: OpenAI
  const logs: Array<Record<string, unknown>> = []

  before(async () => {
    dir = await tempDir()
    backend = await RuntimeBackend.withTinyModel(dir.path)
    const logger = pino({ level: 'warn' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>) } })
    app = await buildOpenAiServer({ backend, logger, defaults: { maxTokens: DEFAULT_MAX_TOKENS, maxTokensLimit: MAX_TOKENS_LIMIT } })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no TCP address')
    baseURL = `http://127.0.0.1:${address.port}/v1`
    client = new OpenAI({ baseURL, apiKey: ALICE_TOKEN, maxRetries: 0, timeout: 20_000 })
  })
  after(async () => {
    await app?.close()
    await backend?.stop()
    await dir?.remove()
  })
  beforeEach(async () => {
    backend.reset()
    logs.length = 0
    if (!backend.runtime.info().loaded) await backend.runtime.load()
  })

  const post = (payload: unknown, token = ALICE_TOKEN) => app.inject({
    method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload)
  })
  const hello = [{ role: 'user' as const, content: 'Hello there' }]
  const clock = { type: 'function', function: { name: 'clock__now', description: 'The time', parameters: { type: 'object', properties: {} } } }
  const calling = (args: string): Record<string, unknown> => ({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'clock__now', arguments: args } }] })
  const answer = { role: 'tool', tool_call_id: 'call_1', content: 'noon' }

  describe('completions through the openai client', () => {
    it('should answer a whole chat.completion with the generated text and its usage when stream is false', async () => {
      const completion = await client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 20, temperature: 0 })
      const generated = result(await backend.lastOutcome())
      expect(completion.object).to.equal('chat.completion')
      expect(completion.id).to.match(/^chatcmpl-[0-9a-f]{24}$/)
      expect(completion.model).to.equal(MODEL)
      expect(completion.choices).to.have.length(1)
      expect(completion.choices[0]?.message).to.deep.include({ role: 'assistant', content: generated.text })
      expect(generated.text).to.have.length.greaterThan(0)
      // the tiny model never ends on its own: 20 tokens is the length limit
      expect(completion.choices[0]?.finish_reason).to.equal('length')
      expect(completion.usage).to.deep.equal({
        prompt_tokens: generated.promptTokens, completion_tokens: 20, total_tokens: generated.promptTokens + 20
      })
      expect(backend.completions[0]?.params).to.deep.equal({ maxTokens: 20, temperature: 0, topP: 1, topK: 0 })
      expect(backend.completions[0]?.user).to.equal('alice')
    })

    it('should end the answer before a stop sequence, leave it out, and say stop', async () => {
      const full = await client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 30, temperature: 0 })
      const text = full.choices[0]?.message.content ?? ''
      expect(text).to.have.length(30)
      const stop = text.slice(12, 15)
      const stopped = await client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 30, temperature: 0, stop })
      expect(stopped.choices[0]?.message.content).to.equal(text.slice(0, text.indexOf(stop)))
      expect(stopped.choices[0]?.finish_reason).to.equal('stop')
      expect(backend.completions.at(-1)?.params.stop).to.deep.equal([stop])
    })

    it('should stream the role, the text deltas, the finish reason and the usage when stream is true', async () => {
      const stream = await client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true } })
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = []
      for await (const chunk of stream) chunks.push(chunk)
      const generated = result(await backend.lastOutcome())
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]?.id && c.model === MODEL)).to.equal(true)
      expect(chunks[0]?.choices[0]?.delta.role).to.equal('assistant')
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
      expect(text).to.equal(generated.text)
      expect(chunks.filter((c) => c.choices[0]?.finish_reason !== null && c.choices[0]?.finish_reason !== undefined).map((c) => c.choices[0]?.finish_reason)).to.deep.equal(['length'])
      const last = chunks.at(-1)
      expect(last?.choices).to.deep.equal([])
      expect(last?.usage).to.deep.equal({ prompt_tokens: generated.promptTokens, completion_tokens: 24, total_tokens: generated.promptTokens + 24 })
      // Fastify says nothing about the reply we took over
      expect(logs).to.deep.equal([])
    })

    it('should send no usage chunk and end with data: [DONE] when include_usage is not asked for', async () => {
      const res = await fetch(`${baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALICE_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: hello, max_tokens: 5, temperature: 0, stream: true })
      })
      expect(res.status).to.equal(200)
      expect(res.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8')
      const body = await res.text()
      expect(body.endsWith('data: [DONE]\n\n')).to.equal(true)
      const events = body.split('\n\n').filter((e) => e.length > 0).map((e) => e.replace(/^data: /, ''))
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: Array<{ finish_reason: string | null }>, usage?: unknown })
      expect(chunks.every((c) => c.choices.length === 1 && c.usage === undefined)).to.equal(true)
      expect(chunks.at(-1)?.choices[0]?.finish_reason).to.equal('length')
    })

    it('should join text content parts and ignore the fields it does not know when a client sends them', async () => {
      const res = await post({
        model: MODEL,
        messages: [{ role: 'system', content: 'Be brief.', name: 'rules' }, { role: 'user', content: [{ type: 'text', text: 'first' }, { type: 'text', text: 'second' }] }],
        max_completion_tokens: 3, top_k: 5, seed: 7, temperature: null, top_p: null, n: 1, user: 'x', stop: null, logit_bias: {}, frequency_penalty: 0
      })
      expect(res.statusCode, res.body).to.equal(200)
      expect(backend.completions[0]?.messages).to.deep.equal([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'first\nsecond' }])
      expect(backend.completions[0]?.params).to.deep.equal({ maxTokens: 3, temperature: 1, topP: 1, topK: 5, seed: 7 })
    })

    it('should use the default max tokens when the request gives none', async () => {
      // greedy: sampling at temperature 1 may pick the end-of-text token of the tiny model early
      const res = await post({ model: MODEL, messages: hello, temperature: 0 })
      expect(res.statusCode).to.equal(200)
      expect(res.json()).to.have.nested.property('usage.completion_tokens', DEFAULT_MAX_TOKENS)
    })

    it('should list the user\'s models and show one when asked through the client', async () => {
      backend.listed.push('org/upstream-model')
      const list = await client.models.list()
      expect(list.data).to.deep.equal([
        { id: MODEL, object: 'model', created: CREATED, owned_by: 'plexi' },
        { id: 'org/upstream-model', object: 'model', created: CREATED, owned_by: 'plexi' }
      ])
      expect(await client.models.retrieve(MODEL)).to.deep.include({ id: MODEL, object: 'model', owned_by: 'plexi' })
      expect(await client.models.retrieve('org/upstream-model')).to.deep.include({ id: 'org/upstream-model' })
      const missing = await client.models.retrieve('nope').catch((err: unknown) => err)
      expect(missing).to.be.instanceOf(OpenAI.NotFoundError)
      expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).to.equal('model_not_found')
    })
  })

  describe('authentication', () => {
    it('should refuse with 401 and the client\'s AuthenticationError when the token is wrong', async () => {
      const stranger = new OpenAI({ baseURL, apiKey: 'not-a-token', maxRetries: 0, timeout: 10_000 })
      for (const call of [
        () => stranger.chat.completions.create({ model: MODEL, messages: hello }),
        () => stranger.models.list(),
        () => stranger.models.retrieve(MODEL)
      ]) {
        const err = await call().catch((e: unknown) => e)
        expect(err).to.be.instanceOf(OpenAI.AuthenticationError)
        expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).to.equal('invalid_api_key')
      }
      expect(backend.completions).to.have.length(0)
    })

    it('should answer 401 in OpenAI\'s error shape when the header is missing or not a bearer token', async () => {
      for (const authorization of [undefined, ALICE_TOKEN, `Basic ${ALICE_TOKEN}`, `Bearer ${ALICE_TOKEN}x`, 'Bearer ', `Bearer ${'a'.repeat(600)}`]) {
        const res = await app.inject({ method: 'GET', url: '/v1/models', ...(authorization !== undefined && { headers: { authorization } }) })
        expect(res.statusCode, String(authorization)).to.equal(401)
        expect(res.headers['www-authenticate']).to.equal('Bearer')
        expect(res.json()).to.deep.equal({
          error: { message: 'missing or invalid API key: send "Authorization: Bearer <your Plexi user token>"', type: 'invalid_request_error', param: null, code: 'invalid_api_key' }
        })
      }
      // the scheme is case-insensitive (RFC 9110)
      expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `bearer ${ALICE_TOKEN}` } })).statusCode).to.equal(200)
    })

    it('should check the token before the body when both are bad', async () => {
      const res = await post({ messages: 'nonsense' }, 'wrong')
      expect(res.statusCode).to.equal(401)
    })
  })

  describe('validation', () => {
    const cases: Array<[string, unknown, string | null, RegExp]> = [
      ['no model', { messages: hello }, 'model', /^model is required$/],
      ['an empty model', { model: '', messages: hello }, 'model', /^model must not be empty$/],
      ['no messages', { model: MODEL }, 'messages', /^messages is required$/],
      ['empty messages', { model: MODEL, messages: [] }, 'messages', /^messages must not be empty$/],
      ['messages as a string', { model: MODEL, messages: 'hi' }, 'messages', /^messages must be an array, got "hi"$/],
      ['a developer role', { model: MODEL, messages: [{ role: 'developer', content: 'x' }] }, 'messages[0].role', /^messages\[0\]\.role must be one of "system", "user", "assistant", "tool", got "developer"$/],
      ['a tool message without its call id', { model: MODEL, messages: [...hello, { role: 'tool', content: 'x' }] }, 'messages[1].tool_call_id', /^messages\[1\]\.tool_call_id is required$/],
      ['a tool message answering no call', { model: MODEL, messages: [...hello, { role: 'tool', tool_call_id: 'call_1', content: 'x' }] }, 'messages[1].tool_call_id', /a tool message answers a call of the assistant message before it, and "call_1" is none/],
      ['a tool message answering a call twice', { model: MODEL, messages: [...hello, calling('{}'), answer, answer] }, 'messages[3].tool_call_id', /"call_1" is none of its calls not answered yet/],
      ['a call\'s arguments that are not JSON', { model: MODEL, messages: [...hello, calling('{"a": ')] }, 'messages[1].tool_calls[0].function.arguments', /must be a JSON object, as a string/],
      ['a call\'s arguments that are a JSON list', { model: MODEL, messages: [...hello, calling('[1]')] }, 'messages[1].tool_calls[0].function.arguments', /must be a JSON object/],
      ['a call\'s arguments as an object', { model: MODEL, messages: [...hello, { ...calling(''), tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }] }, 'messages[1].tool_calls[0].function.arguments', /must be a string/],
      ['a call of a name no tool has', { model: MODEL, messages: [...hello, { ...calling(''), tool_calls: [{ id: 'c', type: 'function', function: { name: 'rm -rf', arguments: '{}' } }] }] }, 'messages[1].tool_calls[0].function.name', /must match pattern/],
      ['calls in a user message', { model: MODEL, messages: [{ ...calling('{}'), role: 'user' }] }, 'messages[0].tool_calls', /only an assistant message calls tools/],
      ['null content in a user message', { model: MODEL, messages: [{ role: 'user', content: null }] }, 'messages[0].content', /null only in an assistant message that calls tools/],
      ['null content in an assistant message without calls', { model: MODEL, messages: [...hello, { role: 'assistant', content: null }, ...hello] }, 'messages[1].content', /null only in an assistant message/],
      ['tools as an object', { model: MODEL, messages: hello, tools: { type: 'function' } }, 'tools', /^tools must be an array/],
      ['a tool that is not a function', { model: MODEL, messages: hello, tools: [{ ...clock, type: 'retrieval' }] }, 'tools[0].type', /must be "function", got "retrieval"/],
      ['a tool without a name', { model: MODEL, messages: hello, tools: [{ type: 'function', function: { description: 'x' } }] }, 'tools[0].function.name', /is required/],
      ['a tool name with a space', { model: MODEL, messages: hello, tools: [{ type: 'function', function: { name: 'the clock' } }] }, 'tools[0].function.name', /must match pattern/],
      ['a tool name of 65 characters', { model: MODEL, messages: hello, tools: [{ type: 'function', function: { name: 'x'.repeat(65) } }] }, 'tools[0].function.name', /must match pattern/],
      ['parameters that are not an object schema', { model: MODEL, messages: hello, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] }, 'tools[0].function.parameters.type', /must be "object", got "string"/],
      ['parameters without a type', { model: MODEL, messages: hello, tools: [{ type: 'function', function: { name: 'f', parameters: { properties: {} } } }] }, 'tools[0].function.parameters.type', /is required/],
      ['parameters as a list', { model: MODEL, messages: hello, tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }, 'tools[0].function.parameters', /must be an object/],
      ['parameters larger than the limit', { model: MODEL, messages: hello, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', description: 'd'.repeat(70_000) } } }] }, 'tools[0].function.parameters', /at most 65536 bytes of JSON/],
      ['a description longer than the limit', { model: MODEL, messages: hello, tools: [{ type: 'function', function: { name: 'f', description: 'd'.repeat(8193) } }] }, 'tools[0].function.description', /at most 8192 characters/],
      ['a tool offered twice', { model: MODEL, messages: hello, tools: [clock, clock] }, 'tools[1].function.name', /"clock__now" is offered twice/],
      ['129 tools', { model: MODEL, messages: hello, tools: Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `t${i}` } })) }, 'tools', /may have at most 128 items/],
      ['a tool choice that is none of the four', { model: MODEL, messages: hello, tools: [clock], tool_choice: 'always' }, 'tool_choice', /^tool_choice must be one of "none", "auto", "required", got "always"$/],
      ['a tool choice of another type', { model: MODEL, messages: hello, tools: [clock], tool_choice: { type: 'retrieval', function: { name: 'clock__now' } } }, 'tool_choice.type', /must be "function"/],
      ['a tool choice without its function', { model: MODEL, messages: hello, tools: [clock], tool_choice: { type: 'function' } }, 'tool_choice.function', /is required/],
      ['a tool choice of a tool not offered', { model: MODEL, messages: hello, tools: [clock], tool_choice: { type: 'function', function: { name: 'calc__add' } } }, 'tool_choice', /^tool_choice names "calc__add", which is not one of the tools$/],
      ['a tool choice of required without tools', { model: MODEL, messages: hello, tool_choice: 'required' }, 'tool_choice', /"required" needs tools to call/],
      ['tools for the agent', { model: 'agent', messages: hello, tools: [clock] }, 'tools', /model "agent" uses the tools your agent was granted/],
      ['parallel_tool_calls "yes"', { model: MODEL, messages: hello, tools: [clock], parallel_tool_calls: 'yes' }, 'parallel_tool_calls', /must be a boolean/],
      ['a turn without content', { model: MODEL, messages: [...hello, { role: 'user' }] }, 'messages[1].content', /^messages\[1\]\.content is required$/],
      ['a number as content', { model: MODEL, messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', /^messages\[0\]\.content must be a string or an array, got 5$/],
      ['an image part', { model: MODEL, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages[0].content[0].type', /must be "text", got "image_url"/],
      ['a text part without text', { model: MODEL, messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages[0].content[0].text', /is required/],
      ['max_tokens 0', { model: MODEL, messages: hello, max_tokens: 0 }, 'max_tokens', /^max_tokens must be >= 1, got 0$/],
      ['max_tokens over the limit', { model: MODEL, messages: hello, max_tokens: 100_000 }, 'max_tokens', /^max_tokens must be <= 400, got 100000$/],
      ['max_tokens as a fraction', { model: MODEL, messages: hello, max_tokens: 1.5 }, 'max_tokens', /^max_tokens must be an integer, got 1.5$/],
      ['max_tokens as a string', { model: MODEL, messages: hello, max_tokens: '10' }, 'max_tokens', /must be an integer, got "10"/],
      ['max_completion_tokens over the limit', { model: MODEL, messages: hello, max_completion_tokens: 401 }, 'max_completion_tokens', /<= 400/],
      ['temperature 3', { model: MODEL, messages: hello, temperature: 3 }, 'temperature', /^temperature must be <= 2, got 3$/],
      ['a negative temperature', { model: MODEL, messages: hello, temperature: -0.1 }, 'temperature', />= 0/],
      ['top_p 2', { model: MODEL, messages: hello, top_p: 2 }, 'top_p', /<= 1/],
      ['top_p 0', { model: MODEL, messages: hello, top_p: 0 }, 'top_p', /> 0/],
      ['n 2', { model: MODEL, messages: hello, n: 2 }, 'n', /^n must be 1, got 2$/],
      ['stream "yes"', { model: MODEL, messages: hello, stream: 'yes' }, 'stream', /must be a boolean/],
      ['a negative seed', { model: MODEL, messages: hello, seed: -1 }, 'seed', />= 0/],
      ['five stop sequences', { model: MODEL, messages: hello, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', /stop may have at most 4 items/],
      ['an empty stop string', { model: MODEL, messages: hello, stop: '' }, 'stop', /stop must not be empty/],
      ['a stop sequence that is not a string', { model: MODEL, messages: hello, stop: [7] }, 'stop[0]', /must be a string/],
      ['an array body', [], null, /^the body must be a JSON object, got \[\]$/]
    ]
    for (const [what, body, param, message] of cases) {
      it(`should answer 400 naming ${param ?? 'the body'} when the body has ${what}`, async () => {
        const res = await post(body)
        expect(res.statusCode, res.body).to.equal(400)
        const { error } = res.json() as { error: { message: string, type: string, param: string | null, code: string | null } }
        expect(error.type).to.equal('invalid_request_error')
        expect(error.param).to.equal(param)
        expect(error.message).to.match(message)
        expect(backend.completions).to.have.length(0)
      })
    }

    it('should answer 400 through the client\'s BadRequestError naming the field', async () => {
      const err = await client.chat.completions.create({ model: MODEL, messages: hello, temperature: 5 }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OpenAI.BadRequestError)
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).to.equal('temperature')
    })

    it('should answer 400 or 415 in OpenAI\'s shape when the body is not JSON', async () => {
      const headers = { authorization: `Bearer ${ALICE_TOKEN}` }
      for (const [payload, contentType, status] of [
        ['{"model":', 'application/json', 400],
        ['', 'application/json', 400],
        [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'application/json', 400],
        ['model=tiny', 'text/plain', 400],
        ['model=tiny', 'application/x-www-form-urlencoded', 415]
      ] as const) {
        const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...headers, 'content-type': contentType }, payload })
        expect(res.statusCode, String(payload)).to.equal(status)
        expect(res.json()).to.have.nested.property('error.type', 'invalid_request_error')
      }
    })

    it('should answer 413 when the body is larger than the limit', async () => {
      const res = await post({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] })
      expect(res.statusCode).to.equal(413)
      expect(res.json()).to.have.nested.property('error.type', 'invalid_request_error')
    })

    it('should answer 400 body_too_deep when the body nests deeper than MAX_JSON_DEPTH, before any validator or the backend holds it (found by fuzzing: the admin endpoint answered 500)', async () => {
      const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`
      const message = `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; no request needs more`
      for (const payload of [nested(5_000), `{"model":${nested(5_000)},"messages":[]}`, `{"model":"${MODEL}","messages":[{"role":"user","content":${nested(MAX_JSON_DEPTH)}}]}`]) {
        const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${ALICE_TOKEN}`, 'content-type': 'application/json' }, payload })
        expect(res.statusCode, res.body).to.equal(400)
        expect(res.json()).to.deep.equal({ error: { message, type: 'invalid_request_error', param: null, code: 'body_too_deep' } })
      }
      expect(backend.completions).to.have.length(0)
      // at the limit the body is read and answered as any other
      const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${ALICE_TOKEN}`, 'content-type': 'application/json' }, payload: `{"model":${nested(MAX_JSON_DEPTH - 1)}}` })
      expect(res.json()).to.have.nested.property('error.code', 'missing_required_parameter')
    })

    it('should answer 404 in OpenAI\'s shape when the URL is unknown', async () => {
      const res = await app.inject({ method: 'GET', url: '/v1/engines', headers: { authorization: `Bearer ${ALICE_TOKEN}` } })
      expect(res.statusCode).to.equal(404)
      expect(res.json()).to.deep.equal({ error: { message: 'unknown request URL: GET /v1/engines', type: 'invalid_request_error', param: null, code: 'unknown_url' } })
    })

    it('should never answer 5xx whatever JSON a client sends', async () => {
      const turn = fc.record({ role: fc.oneof(fc.constantFrom('system', 'user', 'assistant'), fc.string()), content: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] })
      const body = fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.record({
          model: fc.oneof(fc.constant(MODEL), fc.jsonValue({ maxDepth: 1 })),
          messages: fc.oneof(fc.array(turn, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
          max_tokens: fc.oneof(fc.integer({ min: -2, max: 4 }), fc.double(), fc.jsonValue({ maxDepth: 1 })),
          temperature: fc.oneof(fc.double(), fc.jsonValue({ maxDepth: 1 })),
          top_p: fc.oneof(fc.double(), fc.constant(null)),
          stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 }))
        }, { requiredKeys: [] })
      )
      await fc.assert(fc.asyncProperty(body, async (payload) => {
        const res = await post(payload)
        expect(res.statusCode, `${JSON.stringify(payload)} → ${res.body}`).to.be.oneOf([200, 400, 404])
        if (res.statusCode !== 200) expect(res.json()).to.have.nested.property('error.type', 'invalid_request_error')
      }), { numRuns: 300, seed: 20261122 })
    })
  })

  describe('failures of the backend', () => {
    it('should answer 404 model_not_found when the model is unknown', async () => {
      const err = await client.chat.completions.create({ model: 'nope', messages: hello }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OpenAI.NotFoundError)
      expect(err).to.deep.include({ status: 404, code: 'model_not_found', param: 'model' })
    })

    it('should answer 403 when the user may not use the model', async () => {
      const bob = new OpenAI({ baseURL, apiKey: BOB_TOKEN, maxRetries: 0, timeout: 10_000 })
      const err = await bob.chat.completions.create({ model: MODEL, messages: hello }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OpenAI.PermissionDeniedError)
      expect((err as Error).message).to.include('bob may not use tiny')
    })

    it('should answer 429 with Retry-After in whole seconds when the user is rate limited, streamed or not', async () => {
      backend.requestsLeft = 0
      for (const stream of [false, true]) {
        const res = await post({ model: MODEL, messages: hello, stream })
        expect(res.statusCode).to.equal(429)
        expect(res.headers['retry-after']).to.equal('2')
        expect(res.json()).to.deep.equal({ error: { message: 'request limit: retry in 2 s', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } })
      }
      const err = await client.chat.completions.create({ model: MODEL, messages: hello }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OpenAI.RateLimitError)
    })

    it('should answer 400 context_length_exceeded when the prompt does not fit the model', async () => {
      const err = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(2000) }] }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OpenAI.BadRequestError)
      expect(err).to.deep.include({ code: 'context_length_exceeded', param: 'messages' })
      expect(await backend.lastOutcome()).to.have.property('name', 'PromptTooLongError')
    })

    it('should answer 429 with Retry-After when the model\'s queue is full', async () => {
      backend.failWith = new InferenceQueueFullError('model tiny: 8 requests wait already', 2500)
      const res = await post({ model: MODEL, messages: hello })
      expect(res.statusCode).to.equal(429)
      expect(res.headers['retry-after']).to.equal('3')
      expect(res.json()).to.have.nested.property('error.code', 'queue_full')
    })

    it('should answer 503 with Retry-After when the model is not loaded', async () => {
      await backend.runtime.unload()
      const err = await client.chat.completions.create({ model: MODEL, messages: hello }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OpenAI.InternalServerError)
      expect(err).to.deep.include({ status: 503, code: 'model_unavailable' })
      expect((err as InstanceType<typeof OpenAI.InternalServerError>).headers.get('retry-after')).to.equal('1')
      expect(logs.some((l) => l.level === 40 && String(l.msg).includes('InferenceUnavailableError'))).to.equal(true)
    })

    it('should answer 500 with a generic message and log the real one when the backend fails unexpectedly', async () => {
      backend.failWith = new TypeError('secret internals at /srv/plexi')
      const res = await post({ model: MODEL, messages: hello })
      expect(res.statusCode).to.equal(500)
      const { error } = res.json() as { error: { message: string, type: string } }
      expect(error.type).to.equal('server_error')
      expect(error.message).not.to.include('secret')
      const entry = logs.find((l) => l.level === 50)
      expect(entry?.msg).to.include('TypeError: secret internals at /srv/plexi')
    })

    it('should send an error event and end the stream without [DONE] when the model fails after the stream started', async () => {
      const stream = await client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: MAX_TOKENS_LIMIT, temperature: 0, stream: true })
      const pieces: string[] = []
      const err = await (async () => {
        for await (const chunk of stream) {
          const content = chunk.choices[0]?.delta.content ?? ''
          if (content.length > 0 && pieces.push(content) === 1) await backend.runtime.unload()
        }
      })().catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OpenAI.APIError)
      expect((err as Error).message).to.include('the model is not available right now')
      expect(pieces.length).to.be.greaterThan(0).and.lessThan(MAX_TOKENS_LIMIT)
      expect(await backend.lastOutcome()).to.have.property('name', 'InferenceUnavailableError')
    })
  })

  describe('cancellation', () => {
    it('should stop the generation when the client aborts mid-stream', async () => {
      const abort = new AbortController()
      const stream = await client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: MAX_TOKENS_LIMIT, temperature: 0, stream: true }, { signal: abort.signal })
      let received = 0
      // the client's stream ends quietly when its own signal aborts it
      for await (const chunk of stream) {
        if ((chunk.choices[0]?.delta.content ?? '').length > 0 && ++received === 3) abort.abort()
      }
      expect(received).to.be.at.least(3)
      const outcome = result(await backend.lastOutcome())
      expect(outcome.stopReason).to.equal('cancelled')
      expect(outcome.completionTokens).to.be.lessThan(MAX_TOKENS_LIMIT)
      expect(backend.completions[0]?.signal.aborted).to.equal(true)
    })

    it('should stop the generation when the client leaves before a whole answer', async () => {
      const abort = new AbortController()
      const call = client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: MAX_TOKENS_LIMIT, temperature: 0 }, { signal: abort.signal })
      const failed = call.catch((e: unknown) => e)
      await waitFor(() => backend.completions.length === 1, 'the backend to get the request', { timeout: 10_000 })
      abort.abort()
      expect(await failed).to.be.instanceOf(OpenAI.APIUserAbortError)
      const outcome = result(await backend.lastOutcome())
      expect(outcome.stopReason).to.equal('cancelled')
      expect(outcome.completionTokens).to.be.lessThan(MAX_TOKENS_LIMIT)
    })

    it('should end the answers in flight with an error event when the server closes', async () => {
      const closing = await buildOpenAiServer({ backend, logger: false, defaults: { maxTokens: DEFAULT_MAX_TOKENS, maxTokensLimit: MAX_TOKENS_LIMIT } })
      await closing.listen({ host: '127.0.0.1', port: 0 })
      const { port } = closing.server.address() as { port: number }
      const other = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: ALICE_TOKEN, maxRetries: 0, timeout: 10_000 })
      const stream = await other.chat.completions.create({ model: MODEL, messages: hello, max_tokens: MAX_TOKENS_LIMIT, temperature: 0, stream: true })
      let closed: Promise<void> | undefined
      const err = await (async () => {
        for await (const chunk of stream) {
          if ((chunk.choices[0]?.delta.content ?? '').length > 0) closed ??= closing.close()
        }
      })().catch((e: unknown) => e)
      await closed
      expect(err).to.be.instanceOf(OpenAI.APIError)
      expect((err as Error).message).to.include('shutting down')
      expect(result(await backend.lastOutcome()).stopReason).to.equal('cancelled')
    })
  })
})

describe('buildOpenAiServer tools (the official client, llama.cpp on the generated model)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let backend: RuntimeBackend
  let app: FastifyInstance
  let client: OpenAI
  const clock: OpenAI.ChatCompletionTool = {
    type: 'function',
    function: { name: 'clock__now', description: 'The time in a zone', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 12 }, precise: { type: 'boolean' } }, required: ['zone'] } }
  }
  const asked: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What time is it in Oslo?' }]

  before(async () => {
    dir = await tempDir()
    // the tools' documentation takes about a thousand tokens of the byte-level test model
    backend = await RuntimeBackend.withTinyModel(dir.path, 2048)
    app = await buildOpenAiServer({ backend, logger: false, defaults: { maxTokens: 300, maxTokensLimit: 600 } })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no TCP address')
    client = new OpenAI({ baseURL: `http://127.0.0.1:${address.port}/v1`, apiKey: ALICE_TOKEN, maxRetries: 0, timeout: 60_000 })
  })
  after(async () => {
    await app?.close()
    await backend?.stop()
    await dir?.remove()
  })

  it('should answer a forced call as tool_calls with finish_reason tool_calls, content null, arguments a JSON string', async () => {
    const whole = await client.chat.completions.create({ model: MODEL, messages: asked, tools: [clock], tool_choice: { type: 'function', function: { name: 'clock__now' } }, temperature: 0 })
    const choice = whole.choices[0]
    expect(choice?.finish_reason).to.equal('tool_calls')
    expect(choice?.message.content).to.equal(null)
    const call = choice?.message.tool_calls?.[0]
    expect(call).to.deep.include({ type: 'function' })
    if (call?.type !== 'function') throw new Error('expected a function call')
    expect(call.id).to.match(/^call_/)
    expect(call.function.name).to.equal('clock__now')
    expect(JSON.parse(call.function.arguments)).to.have.property('zone').that.is.a('string')
    expect(backend.completions.at(-1)).to.deep.include({ toolChoice: { name: 'clock__now' } })
  })

  it('should stream the call as OpenAI does, so that the client\'s own accumulator rebuilds it', async () => {
    const request = { model: MODEL, messages: asked, tools: [clock], tool_choice: 'required' as const, temperature: 0 }
    const whole = await client.chat.completions.create(request)
    const stream = client.chat.completions.stream(request)
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = []
    stream.on('chunk', (chunk) => { deltas.push(...chunk.choices[0]?.delta.tool_calls ?? []) })
    const final = await stream.finalChatCompletion()
    expect(final.choices[0]?.finish_reason).to.equal('tool_calls')
    const [rebuilt, answered] = [final.choices[0]?.message.tool_calls?.[0], whole.choices[0]?.message.tool_calls?.[0]]
    if (rebuilt?.type !== 'function' || answered?.type !== 'function') throw new Error('expected function calls')
    expect(rebuilt.function).to.deep.equal(answered.function)
    // the first delta names the call, the others carry its arguments in pieces
    expect(deltas[0]).to.deep.include({ index: 0, type: 'function', id: rebuilt.id })
    expect(deltas[0]?.function).to.deep.equal({ name: 'clock__now', arguments: '' })
    expect(deltas.length).to.be.at.least(2)
    expect(deltas.slice(1).every((d) => d.index === 0 && d.id === undefined && typeof d.function?.arguments === 'string')).to.equal(true)
  })

  it('should take a call and its result back and answer after them', async () => {
    const first = await client.chat.completions.create({ model: MODEL, messages: asked, tools: [clock], tool_choice: 'required', temperature: 0 })
    const message = first.choices[0]?.message
    const call = message?.tool_calls?.[0]
    if (message === undefined || call === undefined) throw new Error('expected a call')
    const after = await client.chat.completions.create({
      model: MODEL,
      messages: [...asked, message, { role: 'tool', tool_call_id: call.id, content: '{"time": "12:00"}' }],
      tools: [clock],
      max_tokens: 12,
      temperature: 0
    })
    expect(after.choices[0]?.finish_reason).to.equal('length')
    expect(after.choices[0]?.message.content).to.have.length.above(0)
    expect(after.choices[0]?.message.tool_calls).to.equal(undefined)
    const seen = backend.completions.at(-1)
    expect(seen?.messages.slice(1)).to.deep.equal([
      { role: 'assistant', content: '', toolCalls: [{ id: call.id, name: 'clock__now', arguments: JSON.parse(call.type === 'function' ? call.function.arguments : '') }] },
      { role: 'tool', toolCallId: call.id, content: '{"time": "12:00"}' }
    ])
  })
})

describe('buildOpenAiServer options', () => {
  it('should refuse defaults that are not integers or exceed the limit', async () => {
    const backend = { authenticate: async () => undefined, models: async () => [], complete: async () => { throw new Error('unused') } }
    for (const defaults of [{ maxTokens: 0, maxTokensLimit: 10 }, { maxTokens: 11, maxTokensLimit: 10 }, { maxTokens: 1.5, maxTokensLimit: 10 }, { maxTokens: 1, maxTokensLimit: 0 }]) {
      const err = await buildOpenAiServer({ backend, logger: false, defaults }).catch((e: unknown) => e)
      expect(err, JSON.stringify(defaults)).to.be.instanceOf(RangeError)
    }
  })

  it('should serve the routes it is given after its own, behind its authentication, with the request\'s user', async () => {
    const backend = { authenticate: async (token: string) => token === 'ann-token' ? 'ann' : undefined, models: async () => [], complete: async () => { throw new Error('unused') } }
    const app = await buildOpenAiServer({
      backend,
      logger: false,
      defaults: { maxTokens: 1, maxTokensLimit: 10 },
      routes: [({ userOf }) => async (scope) => { scope.get('/extra', async (request) => ({ user: userOf(request) })) }]
    })
    try {
      const mine = await app.inject({ method: 'GET', url: '/extra', headers: { authorization: 'Bearer ann-token' } })
      expect(mine.json()).to.deep.equal({ user: 'ann' })
      const none = await app.inject({ method: 'GET', url: '/extra' })
      expect(none.statusCode).to.equal(401)
      expect(none.headers['www-authenticate']).to.equal('Bearer')
    } finally {
      await app.close()
    }
  })
})
