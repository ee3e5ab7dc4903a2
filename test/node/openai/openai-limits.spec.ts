import { EventEmitter, once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import type { FastifyInstance } from 'fastify'
import { buildOpenAiServer } from '../../../node/openai/index.ts'
import type { OpenAiBackend } from '../../../node/openai/index.ts'
import type { ClientLimitsOptions } from '../../../node/limits/index.ts'
import type { GenerateResult } from '../../../runtimes/index.ts'
import { NEVER, WatchedLimits } from '../../helpers/watched-limits.ts'

const TOKEN = 'plxu_alice-token'

/** alice's token only; every answer sends one token, then waits until its client goes or
 * `finish` is called: a streamed answer stays open as long as a test wants. */
class HeldBackend implements OpenAiBackend {
  /** 'started' as each answer starts. */
  readonly started = new EventEmitter()
  #waiting: Array<() => void> = []

  async authenticate (token: string): Promise<string | undefined> {
    return token === TOKEN ? 'alice' : undefined
  }

  async models (): Promise<Array<{ id: string, created: number }>> {
    return [{ id: 'tiny', created: 1 }]
  }

  async complete (_user: string, _request: unknown, onToken: (text: string) => void, signal: AbortSignal): Promise<GenerateResult> {
    onToken('hi')
    this.started.emit('started')
    const cancelled = await new Promise<boolean>((resolve) => {
      signal.addEventListener('abort', () => { resolve(true) })
      this.#waiting.push(() => { resolve(false) })
    })
    return { text: 'hi', stopReason: cancelled ? 'cancelled' : 'eos', promptTokens: 1, completionTokens: 1, droppedTurns: 0, ttftMs: 0, durationMs: 0 }
  }

  /** Ends every answer in flight. */
  finish (): void {
    for (const end of this.#waiting.splice(0)) end()
  }
}

describe('buildOpenAiServer: limits per client address', function () {
  this.timeout(30_000)
  let app: FastifyInstance | undefined
  let backend: HeldBackend
  let limits: WatchedLimits
  let port = 0
  const aborts: AbortController[] = []

  afterEach(async () => {
    for (const a of aborts.splice(0)) a.abort()
    await app?.close()
    app = undefined
  })

  /** The endpoint behind these limits (the rest off), listening on every address: IPv4 clients come
   * as 127.0.0.1, IPv6 ones as ::1. */
  async function serve (opts: Partial<ClientLimitsOptions>): Promise<void> {
    limits = new WatchedLimits({ rate: 0, burst: 1, authFailures: 0, streams: 0, ...opts })
    backend = new HeldBackend()
    app = await buildOpenAiServer({ backend, logger: false, defaults: { maxTokens: 16, maxTokensLimit: 100 }, clients: limits })
    await app.listen({ host: '::', port: 0 })
    port = (app.server.address() as AddressInfo).port
  }
  const models = async (token: string | null, host = '127.0.0.1'): Promise<Response> =>
    await fetch(`http://${host}:${port}/v1/models`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } })
  /** A completion; a streamed one is left open (its body unread) until the test ends it. */
  const complete = async (stream: boolean, host = '127.0.0.1'): Promise<Response> => {
    const abort = new AbortController()
    aborts.push(abort)
    return await fetch(`http://${host}:${port}/v1/chat/completions`, {
      method: 'POST',
      signal: abort.signal,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hello' }], stream })
    })
  }
  const error = async (res: Response): Promise<{ message: string, type: string, code: string }> => ((await res.json()) as { error: { message: string, type: string, code: string } }).error

  it('should refuse an address over its rate with 429 rate_limit_exceeded and Retry-After, and not another address', async () => {
    await serve({ rate: NEVER, burst: 2 })
    expect((await models(TOKEN)).status).to.equal(200)
    expect((await models(null)).status).to.equal(401)   // a refused request counts too
    const limited = await models(TOKEN)
    expect(limited.status).to.equal(429)
    expect(Number(limited.headers.get('retry-after'))).to.be.greaterThan(900)
    const body = await error(limited)
    expect([body.type, body.code]).to.deep.equal(['rate_limit_error', 'rate_limit_exceeded'])
    expect(body.message).to.match(/^rate limit: at most 0.001 requests per second from one address \(bursts of 2\), and 127\.0\.0\.1 is over it; retry in \d+ ms$/)
    expect((await complete(false)).status).to.equal(429)
    expect((await models(TOKEN, '[::1]')).status).to.equal(200)
    expect(limits.stats.refused.openai.rate).to.equal(2)
  })

  it('should refuse an address\'s keys, the right one too, after its failed authentications, and not another address\'s', async () => {
    await serve({ authFailures: 2, authFailuresPerSecond: NEVER })
    for (const key of ['wrong-1', 'wrong-2']) {
      const res = await models(key)
      expect(res.status).to.equal(401)
      expect((await error(res)).code).to.equal('invalid_api_key')
    }
    expect((await models(null)).status).to.equal(401)   // no key is no attempt
    const refused = await models(TOKEN)
    expect(refused.status).to.equal(429)
    expect(Number(refused.headers.get('retry-after'))).to.be.greaterThan(900)
    const body = await error(refused)
    expect([body.type, body.code]).to.deep.equal(['rate_limit_error', 'rate_limit_exceeded'])
    expect(body.message).to.match(/^too many failed authentications from 127\.0\.0\.1; retry in \d+ s$/)
    expect((await complete(true)).status).to.equal(429)
    expect((await models(TOKEN, '[::1]')).status).to.equal(200)
    expect(limits.stats.failedAuthentications.openai).to.equal(2)
    expect(limits.stats.refused.openai['auth-failures']).to.equal(2)
  })

  it('should give a user one budget from every address, answered 429 rate_limit_exceeded past it', async () => {
    await serve({ userRate: NEVER, userBurst: 2 })
    expect((await models(TOKEN)).status).to.equal(200)
    expect((await models(TOKEN, '[::1]')).status).to.equal(200)
    const over = await models(TOKEN, '[::1]')
    expect(over.status).to.equal(429)
    expect(Number(over.headers.get('retry-after'))).to.be.greaterThan(900)
    const body = await error(over)
    expect([body.type, body.code]).to.deep.equal(['rate_limit_error', 'rate_limit_exceeded'])
    expect(body.message).to.match(/^rate limit: at most 0.001 requests per second per user \(bursts of 2\), and alice is over it; retry in \d+ ms$/)
    expect((await complete(false)).status).to.equal(429)
    expect((await models('wrong')).status, 'an unknown key is refused as before').to.equal(401)
    expect(limits.stats.refused.openai['user-rate']).to.equal(2)
  })

  it('should cap the streamed completions an address holds open, free a slot when a client leaves or an answer ends, and count no whole answer', async () => {
    await serve({ streams: 2 })
    const first = await complete(true)
    const second = await complete(true)
    expect([first.status, second.status]).to.deep.equal([200, 200])
    const over = await complete(true)
    expect(over.status).to.equal(429)
    expect(over.headers.get('retry-after')).to.equal('1')
    expect(await error(over)).to.deep.include({ type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'at most 2 streams may be open at once from one address on this node, and 127.0.0.1 has 2; close one first' })
    expect((await complete(true, '[::1]')).status).to.equal(200)
    // the client leaves: its slot is freed
    const freed = once(limits.freed, 'freed')
    aborts[0]?.abort()
    expect(await freed).to.deep.equal(['127.0.0.1'])
    expect((await complete(true)).status).to.equal(200)
    // the answers end: every slot is freed
    const all = new Promise<void>((resolve) => {
      let n = 0
      limits.freed.on('freed', () => { if (++n === 3) resolve() })
    })
    backend.finish()
    await all
    expect(limits.stats.streamsOpen).to.equal(0)
    // a whole (not streamed) answer holds no slot: with every slot taken, one is still answered
    expect((await Promise.all([complete(true), complete(true)])).map((r) => r.status)).to.deep.equal([200, 200])
    const started = once(backend.started, 'started')
    const whole = complete(false)
    await started
    backend.finish()
    expect((await whole).status).to.equal(200)
    expect(limits.stats.refused.openai.streams).to.equal(1)
  })
})
