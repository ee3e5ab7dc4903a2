import { once } from 'node:events'
import { expect } from 'chai'
import { completionInput } from '../../../node/openai/completion-routes.ts'
import { HeldEndpoint, TOKEN, errorOf } from './held-backend.ts'

describe('completionRoutes (real Fastify, listening)', function () {
  this.timeout(30_000)
  const endpoint = new HeldEndpoint()

  afterEach(async () => { await endpoint.close() })

  it('should take the request\'s turns and sampling, with the defaults for what it leaves out, when it gives few', () => {
    expect(completionInput({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, 16)).to.deep.equal({
      messages: [{ role: 'user', content: 'hi' }], params: { maxTokens: 16, temperature: 1, topP: 1, topK: 0 }
    })
    const full = completionInput({
      model: 'm',
      messages: [{ role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }],
      max_tokens: 5, max_completion_tokens: 7, temperature: 0, top_p: 0.5, top_k: 3, seed: 9, stop: 'END'
    }, 16)
    expect(full).to.deep.equal({ messages: [{ role: 'system', content: 'a\nb' }], params: { maxTokens: 7, temperature: 0, topP: 0.5, topK: 3, seed: 9, stop: ['END'] } })
    expect(completionInput({ model: 'm', messages: [{ role: 'user', content: 'x' }], seed: null, stop: null, stream_options: null } as never, 16)).to.deep.include({ params: { maxTokens: 16, temperature: 1, topP: 1, topK: 0 } })
  })

  it('should answer a whole chat.completion with its id, text, finish reason and usage, when stream is not asked for', async () => {
    await endpoint.serve({})
    const started = once(endpoint.backend.started, 'started')
    const whole = endpoint.complete(false)
    await started
    endpoint.backend.finish()
    const res = await whole
    expect(res.status).to.equal(200)
    const body = await res.json() as Record<string, unknown>
    expect(body.id).to.match(/^chatcmpl-[0-9a-f]{24}$/)
    expect(body).to.deep.include({
      object: 'chat.completion',
      model: 'tiny',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
    })
  })

  it('should end a whole answer the server\'s close cut with 503 server_shutting_down and Retry-After, when the server closes', async () => {
    await endpoint.serve({})
    const started = once(endpoint.backend.started, 'started')
    const whole = endpoint.complete(false)
    await started
    const closed = endpoint.app?.close()
    const res = await whole
    expect(res.status).to.equal(503)
    expect(res.headers.get('retry-after')).to.equal('1')
    expect(await errorOf(res)).to.deep.equal({ message: 'the server is shutting down; retry on another node or later', type: 'server_error', param: null, code: 'server_shutting_down' })
    await closed
    endpoint.app = undefined
  })

  it('should cap the streamed completions an address holds open, free a slot when a client leaves or an answer ends, and count no whole answer', async () => {
    await endpoint.serve({ streams: 2 })
    const { backend } = endpoint
    const limits = endpoint.limits
    const first = await endpoint.complete(true)
    const second = await endpoint.complete(true)
    expect([first.status, second.status]).to.deep.equal([200, 200])
    const over = await endpoint.complete(true)
    expect(over.status).to.equal(429)
    expect(over.headers.get('retry-after')).to.equal('1')
    expect(await errorOf(over)).to.deep.include({ type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'at most 2 streams may be open at once from one address on this node, and 127.0.0.1 has 2; close one first' })
    expect((await endpoint.complete(true, '[::1]')).status).to.equal(200)
    // the client leaves: its slot is freed
    const freed = once(limits.freed, 'freed')
    endpoint.aborts[0]?.abort()
    expect(await freed).to.deep.equal(['127.0.0.1'])
    expect((await endpoint.complete(true)).status).to.equal(200)
    // the answers end: every slot is freed
    const all = new Promise<void>((resolve) => {
      let n = 0
      limits.freed.on('freed', () => { if (++n === 3) resolve() })
    })
    backend.finish()
    await all
    expect(limits.stats.streamsOpen).to.equal(0)
    // a whole (not streamed) answer holds no slot: with every slot taken, one is still answered
    expect((await Promise.all([endpoint.complete(true), endpoint.complete(true)])).map((r) => r.status)).to.deep.equal([200, 200])
    const started = once(backend.started, 'started')
    const whole = endpoint.complete(false)
    await started
    backend.finish()
    expect((await whole).status).to.equal(200)
    expect(limits.stats.refused.openai.streams).to.equal(1)
  })

  it('should ask the backend for the request\'s model, turns and sampling, when a client asks', async () => {
    await endpoint.serve({})
    const started = once(endpoint.backend.started, 'started')
    const res = fetch(`http://127.0.0.1:${endpoint.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'org/model', messages: [{ role: 'user', content: 'hello' }], max_tokens: 3, stop: ['x', 'y'] })
    })
    await started
    endpoint.backend.finish()
    expect((await res).status).to.equal(200)
    expect(endpoint.backend.requests).to.deep.equal([{ model: 'org/model', messages: [{ role: 'user', content: 'hello' }], params: { maxTokens: 3, temperature: 1, topP: 1, topK: 0, stop: ['x', 'y'] } }])
  })
})
