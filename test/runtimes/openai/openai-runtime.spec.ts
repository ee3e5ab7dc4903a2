import { expect } from 'chai'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import OpenAI from 'openai'
import type { GenerateRequest } from '../../../runtimes/index.ts'
import { OpenAiRuntime } from '../../../runtimes/openai/index.ts'
import type { OpenAiRuntimeOptions } from '../../../runtimes/openai/index.ts'
import { buildOpenAiServer } from '../../../node/openai/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { ALICE_TOKEN, MODEL, RuntimeBackend, result } from '../../node/openai/runtime-backend.ts'

const greedy = (maxTokens: number, content = 'Hello there'): GenerateRequest => ({
  input: { messages: [{ role: 'user', content }] }, params: { maxTokens, temperature: 0, topP: 1, topK: 0 }
})

async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return `http://127.0.0.1:${address.port}/v1`
}

async function failure (promise: Promise<unknown>): Promise<Error & { status?: number, retryAfterMs?: number }> {
  const outcome = await promise.then(() => undefined, (err: unknown) => err)
  if (!(outcome instanceof Error)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`)
  return outcome
}

describe('OpenAiRuntime', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let backend: RuntimeBackend
  let app: FastifyInstance
  let baseUrl: string
  const runtimes: OpenAiRuntime[] = []

  const runtime = (opts: Partial<OpenAiRuntimeOptions> = {}): OpenAiRuntime => {
    const rt = new OpenAiRuntime({ name: 'remote-tiny', baseUrl, apiKey: ALICE_TOKEN, model: MODEL, contextSize: 512, slots: 2, timeoutMs: 10_000, ...opts })
    runtimes.push(rt)
    return rt
  }
  const loaded = async (opts: Partial<OpenAiRuntimeOptions> = {}): Promise<OpenAiRuntime> => {
    const rt = runtime(opts)
    await rt.load()
    return rt
  }

  before(async () => {
    dir = await tempDir()
    backend = await RuntimeBackend.withTinyModel(dir.path)
    app = await buildOpenAiServer({ backend, logger: false, defaults: { maxTokens: 16, maxTokensLimit: 400 } })
    baseUrl = await listen(app)
  })
  after(async () => {
    await app?.close()
    await backend?.stop()
    await dir?.remove()
  })
  beforeEach(async () => {
    backend.reset()
    if (!backend.runtime.info().loaded) await backend.runtime.load()
  })
  afterEach(async () => {
    for (const rt of runtimes.splice(0)) await rt.unload()
  })

  describe('load', () => {
    it('should load when the server lists the model, and describe itself', async () => {
      const rt = runtime({ baseUrl: `${baseUrl}/` })
      expect(rt.info().loaded).to.equal(false)
      await rt.load()
      await rt.load()
      expect(rt.info()).to.deep.equal({ kind: 'openai-http', model: 'remote-tiny', loaded: true, contextSize: 512, slots: 2, memoryBytes: 0, backend: baseUrl })
      await rt.unload()
      expect(rt.info().loaded).to.equal(false)
    })

    it('should fail with InferenceUnavailableError naming the URL when nothing listens there', async () => {
      const port = await freePort()
      const err = await failure(runtime({ baseUrl: `http://127.0.0.1:${port}/v1` }).load())
      expect(err.name).to.equal('InferenceUnavailableError')
      expect(err.message).to.include(`GET http://127.0.0.1:${port}/v1/models: cannot reach the server (ECONNREFUSED)`)
    })

    it('should fail with UnknownModelError listing what the server has when it lacks the model', async () => {
      const err = await failure(runtime({ model: 'llama-70b' }).load())
      expect(err.name).to.equal('UnknownModelError')
      expect(err.message).to.equal(`model remote-tiny: the server at ${baseUrl} has no model "llama-70b"; it lists "tiny"`)
    })

    it('should fail with InferenceUnavailableError and the status when the server refuses the key', async () => {
      const err = await failure(runtime({ apiKey: 'wrong' }).load())
      expect(err.name).to.equal('InferenceUnavailableError')
      expect(err.message).to.match(/GET http:\/\/127\.0\.0\.1:\d+\/v1\/models answered 401: missing or invalid API key/)
    })

    it('should fail with InferenceUnavailableError when the base URL is not an OpenAI API', async () => {
      const err = await failure(runtime({ baseUrl: baseUrl.replace(/\/v1$/, '') }).load())
      expect(err.name).to.equal('InferenceUnavailableError')
      expect(err.message).to.match(/\/models answered 404: unknown request URL: GET \/models/)
    })

    it('should fail with InferenceUnavailableError within the timeout when the server never answers', async () => {
      const silent = await silentServer()
      try {
        const err = await failure(runtime({ baseUrl: `http://127.0.0.1:${silent.port}/v1`, timeoutMs: 200 }).load())
        expect(err.name).to.equal('InferenceUnavailableError')
        expect(err.message).to.include('no answer within 200 ms')
      } finally {
        await silent.close()
      }
    })

    it('should refuse options that cannot work', () => {
      const base = { name: 'x', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', contextSize: 512, slots: 1 }
      for (const bad of [{ baseUrl: 'localhost:11434' }, { baseUrl: 'ftp://host/v1' }, { contextSize: 0 }, { slots: 0 }, { slots: 1.5 }, { timeoutMs: 0 }, { model: '' }, { name: '' }]) {
        expect(() => new OpenAiRuntime({ ...base, ...bad }), JSON.stringify(bad)).to.throw(RangeError)
      }
    })
  })

  describe('generate', () => {
    it('should stream tokens whose concatenation is the text the server generated', async () => {
      const rt = await loaded()
      const pieces: string[] = []
      const res = await rt.generate(greedy(20), (text) => { pieces.push(text) })
      const served = result(await backend.lastOutcome())
      expect(pieces.length).to.be.greaterThan(1)
      expect(pieces.join('')).to.equal(res.text)
      expect(res.text).to.equal(served.text)
      expect(res).to.deep.include({ stopReason: 'max-tokens', promptTokens: served.promptTokens, completionTokens: 20, droppedTurns: 0 })
      expect(res.ttftMs).to.be.greaterThan(0).and.at.most(res.durationMs)
    })

    it('should give the same greedy text as the model run in this process', async () => {
      const rt = await loaded()
      const remote = await rt.generate(greedy(32, 'The plexi node says'), () => {})
      const local = await backend.runtime.generate(greedy(32, 'The plexi node says'), () => {})
      expect(remote.text).to.equal(local.text)
    })

    it('should send a prompt as one user message, with every sampling parameter', async () => {
      const rt = await loaded()
      await rt.generate({ input: { prompt: 'Once upon a time' }, params: { maxTokens: 4, temperature: 0.5, topP: 0.9, topK: 40, seed: 3 } }, () => {})
      const seen = backend.completions.at(-1)
      expect(seen?.messages).to.deep.equal([{ role: 'user', content: 'Once upon a time' }])
      expect(seen?.params).to.deep.equal({ maxTokens: 4, temperature: 0.5, topP: 0.9, topK: 40, seed: 3 })
      expect(seen?.model).to.equal(MODEL)
    })

    it('should resolve cancelled with the text so far and stop the server\'s generation when the signal aborts', async () => {
      const rt = await loaded()
      const abort = new AbortController()
      const pieces: string[] = []
      const res = await rt.generate(greedy(400), (text) => {
        pieces.push(text)
        if (pieces.length === 3) abort.abort()
      }, abort.signal)
      expect(res.stopReason).to.equal('cancelled')
      // nothing reaches onToken after the abort
      expect(pieces).to.have.length(3)
      expect(res.text).to.equal(pieces.join(''))
      expect(res.completionTokens).to.equal(3)
      const served = result(await backend.lastOutcome())
      expect(served.stopReason).to.equal('cancelled')
      expect(served.completionTokens).to.be.lessThan(400)
    })

    it('should resolve cancelled without a request when the signal has already fired', async () => {
      const rt = await loaded()
      const res = await rt.generate(greedy(10), () => {}, AbortSignal.abort())
      expect(res).to.deep.include({ stopReason: 'cancelled', text: '', completionTokens: 0 })
      expect(backend.completions).to.have.length(0)
    })

    it('should fail with InferenceUnavailableError, and stop the server\'s generation, when unloaded mid-answer', async () => {
      const rt = await loaded()
      let unloading: Promise<void> | undefined
      const err = await failure(rt.generate(greedy(400), () => { unloading ??= rt.unload() }))
      await unloading
      expect(err.name).to.equal('InferenceUnavailableError')
      expect(err.message).to.include('unloaded')
      expect(result(await backend.lastOutcome()).stopReason).to.equal('cancelled')
      expect((await failure(rt.generate(greedy(5), () => {}))).name).to.equal('InferenceUnavailableError')
    })

    it('should fail with InferenceUnavailableError when it was never loaded', async () => {
      const err = await failure(runtime().generate(greedy(5), () => {}))
      expect(err.name).to.equal('InferenceUnavailableError')
    })

    it('should fail with InferenceQueueFullError when every slot is busy', async () => {
      const rt = await loaded({ slots: 1 })
      const abort = new AbortController()
      let first!: () => void
      const started = new Promise<void>((resolve) => { first = resolve })
      const running = rt.generate(greedy(400), () => { first() }, abort.signal)
      await started
      const err = await failure(rt.generate(greedy(5), () => {}))
      expect(err.name).to.equal('InferenceQueueFullError')
      abort.abort()
      expect((await running).stopReason).to.equal('cancelled')
      expect((await rt.generate(greedy(2), () => {})).stopReason).to.equal('max-tokens')
    })
  })

  describe('fitting the context', () => {
    // estimate: ceil(bytes / 3) + 5 per turn, + 8 per prompt; 90 bytes → 35 tokens
    const turn = (role: 'user' | 'assistant', i: number): { role: 'user' | 'assistant', content: string } => ({ role, content: `${i}`.padEnd(90, '.') })

    it('should drop the oldest turns, keeping the system turn and the last turn, and report them', async () => {
      // budget 201 - 10 - 8 = 183: the system turn (8) and 5 turns of 35, the last one among them
      const rt = await loaded({ contextSize: 201 })
      const messages = [{ role: 'system' as const, content: 'Be kind' }, ...Array.from({ length: 8 }, (_, i) => turn(i % 2 === 0 ? 'user' : 'assistant', i)), turn('user', 8)]
      const res = await rt.generate({ input: { messages }, params: { maxTokens: 10, temperature: 0, topP: 1, topK: 0 } }, () => {})
      const sent = backend.completions.at(-1)?.messages
      expect(sent?.map((m) => m.content.slice(0, 1))).to.deep.equal(['B', '4', '5', '6', '7', '8'])
      expect(res.droppedTurns).to.equal(4)
    })

    it('should also drop an answer whose question was dropped, so that the history starts with a user turn', async () => {
      // budget 160 - 10 - 8 = 142: the last turn (35) and three more; the oldest kept would be an answer
      const rt = await loaded({ contextSize: 160 })
      const messages = [...Array.from({ length: 6 }, (_, i) => turn(i % 2 === 0 ? 'user' : 'assistant', i)), turn('user', 6)]
      const res = await rt.generate({ input: { messages }, params: { maxTokens: 10, temperature: 0, topP: 1, topK: 0 } }, () => {})
      expect(backend.completions.at(-1)?.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user'])
      expect(res.droppedTurns).to.equal(4)
    })

    it('should fail with PromptTooLongError, sending nothing, when the last turn alone does not fit', async () => {
      const rt = await loaded({ contextSize: 100 })
      const err = await failure(rt.generate({ input: { messages: [{ role: 'user', content: 'x'.repeat(300) }] }, params: { maxTokens: 10, temperature: 0, topP: 1, topK: 0 } }, () => {}))
      expect(err.name).to.equal('PromptTooLongError')
      expect(err.message).to.include('the last turn alone needs 105 tokens, and 91 are left')
      expect(backend.completions).to.have.length(0)
    })

    it('should send the kept turns with the room there is, ending at context-full, when they leave less than maxTokens', async () => {
      // 240 bytes are 85 tokens by the estimate: over the 82 that leave room for 10, within the 92 of the context
      const rt = await loaded({ contextSize: 100 })
      const res = await rt.generate({ input: { messages: [{ role: 'user', content: 'x'.repeat(240) }] }, params: { maxTokens: 10, temperature: 0, topP: 1, topK: 0 } }, () => {})
      expect(res).to.include({ stopReason: 'context-full', completionTokens: 7 })
    })
  })

  describe('errors of the server', () => {
    it('should fail with RemoteInferenceError 401 when the server no longer takes the key', async () => {
      const rt = await loaded()
      backend.revoked.add(ALICE_TOKEN)
      const err = await failure(rt.generate(greedy(5), () => {}))
      expect(err).to.deep.include({ name: 'RemoteInferenceError', status: 401 })
      expect(err.message).to.include('missing or invalid API key')
    })

    it('should fail with UnknownModelError when the server answers 404 for the model', async () => {
      backend.listed.push('retired')
      const rt = await loaded({ model: 'retired' })
      const err = await failure(rt.generate(greedy(5), () => {}))
      expect(err.name).to.equal('UnknownModelError')
      expect(err.message).to.include('no model named retired')
    })

    it('should fail with RemoteInferenceError 503 when the server\'s model is not available', async () => {
      const rt = await loaded()
      await backend.runtime.unload()
      const err = await failure(rt.generate(greedy(5), () => {}))
      expect(err).to.deep.include({ name: 'RemoteInferenceError', status: 503 })
    })

    it('should fail with RemoteInferenceError 429 and the server\'s Retry-After when rate limited', async () => {
      const rt = await loaded()
      backend.requestsLeft = 0
      const err = await failure(rt.generate(greedy(5), () => {}))
      expect(err).to.deep.include({ name: 'RemoteInferenceError', status: 429, retryAfterMs: 2000 })
      expect(err.message).to.include('request limit: retry in 2 s')
    })

    it('should fail with RemoteInferenceError when the server reports an error in the stream', async () => {
      const rt = await loaded()
      const pieces: string[] = []
      const err = await failure(rt.generate(greedy(400), (text) => {
        if (pieces.push(text) === 1) void backend.runtime.unload()
      }))
      expect(err).to.deep.include({ name: 'RemoteInferenceError', status: 502 })
      expect(err.message).to.include('the model is not available right now')
    })
  })

  describe('behind a second Plexi node', () => {
    let front: FastifyInstance
    let frontBackend: RuntimeBackend
    let client: OpenAI

    before(async () => {
      const upstream = new OpenAiRuntime({ name: 'tiny-remote', baseUrl, apiKey: ALICE_TOKEN, model: MODEL, contextSize: 512, slots: 2 })
      await upstream.load()
      frontBackend = new RuntimeBackend(upstream)
      front = await buildOpenAiServer({ backend: frontBackend, logger: false, defaults: { maxTokens: 16, maxTokensLimit: 400 } })
      client = new OpenAI({ baseURL: await listen(front), apiKey: ALICE_TOKEN, maxRetries: 0, timeout: 20_000 })
    })
    after(async () => {
      await front?.close()
      await frontBackend?.stop()
    })

    it('should stream the first node\'s text through the second to the openai client', async () => {
      const stream = await client.chat.completions.create({ model: 'tiny-remote', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true } })
      let text = ''
      let usage: OpenAI.CompletionUsage | null | undefined
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? ''
        usage = chunk.usage ?? usage
      }
      const served = result(await backend.lastOutcome())
      expect(text).to.equal(served.text)
      expect(usage).to.deep.equal({ prompt_tokens: served.promptTokens, completion_tokens: 24, total_tokens: served.promptTokens + 24 })
    })

    it('should pass the first node\'s rate limit on as 429 with its Retry-After', async () => {
      backend.requestsLeft = 0
      const res = await front.inject({
        method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${ALICE_TOKEN}` }, payload: { model: 'tiny-remote', messages: [{ role: 'user', content: 'hi' }] }
      })
      expect(res.statusCode).to.equal(429)
      expect(res.headers['retry-after']).to.equal('2')
    })

    it('should answer 502 without the first node\'s address when that node refuses the second\'s key', async () => {
      backend.revoked.add(ALICE_TOKEN)
      const err = await client.chat.completions.create({ model: 'tiny-remote', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OpenAI.InternalServerError)
      expect(err).to.deep.include({ status: 502, code: 'upstream_error' })
      expect((err as Error).message).not.to.include('127.0.0.1')
    })
  })
})

describe('OpenAiRuntime tools', function () {
  this.timeout(30_000)
  let server: ToolServer
  let rt: OpenAiRuntime
  const params = { maxTokens: 64, temperature: 0, topP: 1, topK: 0 }
  const tools = [
    { name: 'calc__add', description: 'Adds', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } },
    { name: 'clock__now', description: 'The time', parameters: { type: 'object', properties: {} } }
  ]

  before(async () => {
    server = await toolServer()
    rt = new OpenAiRuntime({ name: 'remote', baseUrl: server.url, model: 'm', contextSize: 4096, slots: 2, timeoutMs: 10_000 })
    await rt.load()
  })
  after(async () => {
    await rt?.unload()
    await server?.close()
  })

  it('should send the tools, the tool choice and the calls and results of the conversation as OpenAI does', async () => {
    server.answer = [{ content: 'fine' }]
    const call = { id: 'call_1', name: 'calc__add', arguments: { a: 1, b: 2 } }
    const res = await rt.generate({
      input: { messages: [{ role: 'user', content: 'add' }, { role: 'assistant', content: '', toolCalls: [call] }, { role: 'tool', toolCallId: 'call_1', content: '3' }] },
      params,
      tools,
      toolChoice: { name: 'calc__add' }
    }, () => {})
    expect(res).to.deep.include({ text: 'fine', stopReason: 'eos' })
    expect(res.toolCalls).to.equal(undefined)
    const body = server.bodies.at(-1) as Record<string, unknown>
    expect(body.messages).to.deep.equal([
      { role: 'user', content: 'add' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'calc__add', arguments: '{"a":1,"b":2}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '3' }
    ])
    expect(body.tools).to.deep.equal(tools.map((t) => ({ type: 'function', function: t })))
    expect(body.tool_choice).to.deep.equal({ type: 'function', function: { name: 'calc__add' } })
    for (const choice of ['none', 'auto', 'required'] as const) {
      await rt.generate({ input: { messages: [{ role: 'user', content: 'x' }] }, params, tools, toolChoice: choice }, () => {})
      expect((server.bodies.at(-1) as Record<string, unknown>).tool_choice).to.equal(choice)
    }
    await rt.generate({ input: { messages: [{ role: 'user', content: 'x' }] }, params }, () => {})
    expect(server.bodies.at(-1)).to.not.have.any.keys('tools', 'tool_choice')
  })

  it('should read streamed tool calls back, their arguments in pieces, and end at tool-calls', async () => {
    server.answer = [
      { content: 'Let me see. ' },
      { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'calc__add', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a": 1,' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ' "b": 2}' } }] },
      // a server that sends a call whole, without an id, its arguments an object
      { tool_calls: [{ index: 1, type: 'function', function: { name: 'clock__now', arguments: {} } }] },
      { finish: 'tool_calls' }
    ]
    const pieces: string[] = []
    const res = await rt.generate({ input: { messages: [{ role: 'user', content: 'add' }] }, params, tools }, (text) => { pieces.push(text) })
    expect(res).to.deep.include({ text: 'Let me see. ', stopReason: 'tool-calls' })
    expect(pieces.join('')).to.equal('Let me see. ')
    expect(res.toolCalls?.[0]).to.deep.equal({ id: 'call_a', name: 'calc__add', arguments: { a: 1, b: 2 } })
    expect(res.toolCalls?.[1]).to.deep.include({ name: 'clock__now', arguments: {} })
    expect(res.toolCalls?.[1]?.id).to.match(/^call_[0-9a-f]{24}$/)
  })

  it('should drop calls cut by the token limit', async () => {
    server.answer = [{ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'calc__add', arguments: '{"a": 1' } }] }, { finish: 'length' }]
    const res = await rt.generate({ input: { messages: [{ role: 'user', content: 'add' }] }, params, tools }, () => {})
    expect(res.stopReason).to.equal('max-tokens')
    expect(res.toolCalls).to.equal(undefined)
  })

  it('should fail with RemoteInferenceError 502 when the server\'s calls are not calls', async () => {
    const cases: Array<[unknown[], RegExp]> = [
      [[{ tool_calls: [{ index: 0, id: 'c', function: { name: 'calc__add', arguments: '{"a": ' } }] }, { finish: 'tool_calls' }], /arguments of its call of calc__add are not a JSON object/],
      [[{ tool_calls: [{ index: 0, id: 'c', function: { name: 'calc__add', arguments: '[1]' } }] }, { finish: 'tool_calls' }], /not a JSON object/],
      [[{ tool_calls: [{ index: 0, id: 'c', function: { name: 'rm -rf', arguments: '{}' } }] }, { finish: 'tool_calls' }], /names "rm -rf", which is no tool's name/],
      [[{ tool_calls: [{ index: 99, id: 'c', function: { name: 'x', arguments: '{}' } }] }], /index is not one of 0 to 63/],
      [[{ tool_calls: { index: 0 } }], /delta\.tool_calls is not a list/],
      [[{ tool_calls: [{ index: 0, id: 'c', function: { name: 'calc__add', arguments: 'x'.repeat(70_000) } }] }], /longer than its limits/]
    ]
    for (const [answer, message] of cases) {
      server.answer = answer as ToolServer['answer']
      const err = await failure(rt.generate({ input: { messages: [{ role: 'user', content: 'add' }] }, params, tools }, () => {}))
      expect(err.name, message.source).to.equal('RemoteInferenceError')
      expect(err.status).to.equal(502)
      expect(err.message).to.match(message)
    }
  })
})

/** A chunk the tool server streams: content, tool call deltas, or the finish reason. */
type ToolChunk = { content?: string, tool_calls?: unknown, finish?: string }

interface ToolServer {
  readonly url: string
  /** The bodies of the chat completions it was sent. */
  readonly bodies: unknown[]
  /** What it streams for the next completion. */
  answer: ToolChunk[]
  close: () => Promise<void>
}

/** An OpenAI-shaped server of our own (node:http), streaming the chunks it is told to. */
async function toolServer (): Promise<ToolServer> {
  const state: ToolServer = {
    url: '',
    bodies: [],
    answer: [],
    close: async () => { await new Promise<void>((resolve) => { http.close(() => { resolve() }) }) }
  }
  const http = createHttpServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] }))
      return
    }
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString() })
    req.on('end', () => {
      state.bodies.push(JSON.parse(body))
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const event = (delta: Record<string, unknown>, finish: string | null): string =>
        `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
      res.write(event({ role: 'assistant', content: '' }, null))
      for (const chunk of state.answer) {
        if (chunk.finish !== undefined) res.write(event({}, chunk.finish))
        else res.write(event({ ...(chunk.content !== undefined && { content: chunk.content }), ...(chunk.tool_calls !== undefined && { tool_calls: chunk.tool_calls }) }, null))
      }
      if (!state.answer.some((chunk) => chunk.finish !== undefined)) res.write(event({}, 'stop'))
      res.end('data: [DONE]\n\n')
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as { port: number }
  return Object.assign(state, { url: `http://127.0.0.1:${port}/v1` })
}

/** A port nothing listens on (it did a moment ago; the OS does not hand it out again at once). */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

/** A TCP server that accepts connections and never answers: a hung model server. */
async function silentServer (): Promise<{ port: number, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}
