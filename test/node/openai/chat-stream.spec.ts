import { expect } from 'chai'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { ChatStream } from '../../../node/openai/chat-stream.ts'
import { openAiError } from '../../../node/openai/openai-error.ts'
import type { GenerateResult } from '../../../runtimes/index.ts'

const RESULT: GenerateResult = { text: 'Hello there', stopReason: 'eos', promptTokens: 3, completionTokens: 2, droppedTurns: 0, ttftMs: 0, durationMs: 0 }

/** The data of each server-sent event in a body. */
function events (body: string): unknown[] {
  return body.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => {
    const data = e.slice('data: '.length)
    return data === '[DONE]' ? '[DONE]' : JSON.parse(data)
  })
}

describe('ChatStream (real Fastify inject)', () => {
  let app: FastifyInstance
  /** How the route drives its stream. */
  let drive: (stream: ChatStream, reply: FastifyReply) => void

  beforeEach(async () => {
    app = Fastify()
    app.get('/stream', async (_request, reply) => {
      const stream = new ChatStream(reply, { id: 'chatcmpl-1', created: 7, model: 'tiny', includeUsage: reply.request.query !== null && (reply.request.query as { usage?: string }).usage === '1' })
      drive(stream, reply)
      return reply
    })
  })
  afterEach(async () => { await app.close() })

  const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 7, model: 'tiny' }
  const chunk = (delta: object, finish: string | null = null) => ({ ...head, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })

  it('should send the role, the text, the finish reason, the usage when asked, then [DONE], when an answer completes', async () => {
    drive = (stream) => {
      expect(stream.started).to.equal(false)
      stream.token('Hello')
      expect(stream.started).to.equal(true)
      stream.token(' there')
      stream.finish(RESULT, 'stop')
      stream.token('late')
    }
    const res = await app.inject({ method: 'GET', url: '/stream?usage=1' })
    expect(res.statusCode).to.equal(200)
    expect(res.headers['content-type']).to.equal('text/event-stream; charset=utf-8')
    expect(res.headers['x-accel-buffering']).to.equal('no')
    const sent = events(res.body)
    expect(sent[0]).to.deep.equal(chunk({ role: 'assistant', content: '' }))
    expect(sent.slice(1, -3).map((e) => (e as { choices: Array<{ delta: { content: string } }> }).choices[0]?.delta.content).join('')).to.equal('Hello there')
    expect(sent.slice(-3)).to.deep.equal([chunk({}, 'stop'), { ...head, choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }, '[DONE]'])
  })

  it('should send each call\'s id and name, then its arguments in pieces, then finish_reason tool_calls', async () => {
    const args = { text: 'x'.repeat(100) }
    const calls = [{ id: 'call_a', name: 'notes__add', arguments: args }, { id: 'call_b', name: 'clock__now', arguments: {} }]
    drive = (stream) => { stream.finish({ ...RESULT, text: '', stopReason: 'tool-calls', toolCalls: calls }, 'tool_calls') }
    const sent = events((await app.inject({ method: 'GET', url: '/stream' })).body)
    const json = JSON.stringify(args)
    expect(sent).to.deep.equal([
      chunk({ role: 'assistant', content: '' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'notes__add', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: json.slice(0, 64) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: json.slice(64) } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'clock__now', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      '[DONE]'
    ])
  })

  it('should send an error event and no [DONE], when the answer fails after the stream started', async () => {
    const error = openAiError('server_error', 'the model failed')
    drive = (stream) => {
      stream.token('Hel')
      stream.fail(error)
      stream.finish(RESULT, 'stop')
    }
    const sent = events((await app.inject({ method: 'GET', url: '/stream' })).body)
    expect(sent.at(-1)).to.deep.equal(error)
    expect(sent).to.not.include('[DONE]')
  })

  it('should send headers and the role alone, then [DONE] with no usage, when started before any token and not asked for usage', async () => {
    drive = (stream) => {
      stream.start()
      stream.start()
      stream.finish({ ...RESULT, text: '', completionTokens: 0 }, 'length')
    }
    expect(events((await app.inject({ method: 'GET', url: '/stream' })).body)).to.deep.equal([chunk({ role: 'assistant', content: '' }), chunk({}, 'length'), '[DONE]'])
  })

  it('should end the response with nothing written, when abandoned before it started (its client left)', async () => {
    drive = (stream) => {
      stream.abandon()
      stream.token('never')
    }
    const res = await app.inject({ method: 'GET', url: '/stream' })
    expect(res.body).to.equal('')
  })
})
