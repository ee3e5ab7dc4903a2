import { expect } from 'chai'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:http2'
import * as grpc from '@grpc/grpc-js'
import type { FastifyInstance } from 'fastify'
import { servedServices } from '../../../node/grpc/index.ts'
import { ClientLimits } from '../../../node/limits/index.ts'
import { MemberOrigins, buildWebServer } from '../../../node/web/index.ts'
import { GrpcServices } from '../../helpers/grpc-services.ts'
import { GrpcWebClient, frame } from '../../helpers/grpc-web-client.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { makeTlsPair } from '../../helpers/tls-pair.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const CHAT = '/plexi.chat.v1.Chat'
const AGENT = '/plexi.agent.v1.Agent'
type Event = { message?: { seq: number, text: string, user: string }, live?: { lastSeq: number } }

describe('buildWebServer (gRPC-Web over the gRPC server\'s own handlers: real HTTP, a real gRPC client beside, real LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  let app: FastifyInstance
  let web: GrpcWebClient
  let base: string

  async function start (options: { corsOrigins?: string[], clients?: ClientLimits, memberOrigins?: MemberOrigins } = {}): Promise<void> {
    app = await buildWebServer({ services: servedServices(s.services), retryTypes: s.retryTypes, logger: false, ...options })
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    web = new GrpcWebClient(base)
  }

  beforeEach(async () => {
    s = await GrpcServices.start()
    await start()
  })
  afterEach(async () => {
    await app.close()
    await s.stop()
  })

  it('should post and read history as the gRPC server does, when a browser calls Post and History', async () => {
    const posted = await web.call(`${CHAT}/Post`, { room: 'r', text: 'hello from a browser' }, { token: s.annToken })
    expect([posted.httpStatus, posted.code, posted.headers.get('content-type')]).to.deep.equal([200, 0, 'application/grpc-web+proto'])
    expect(posted.messages).to.have.length(1)
    expect((posted.messages[0] as { seq: number }).seq).to.equal(1)
    await s.chat(s.bobToken).call('Post', { room: 'r', text: 'hello over gRPC' })
    const history = await web.call(`${CHAT}/History`, { room: 'r', after: 0, limit: 0 }, { token: s.bobToken })
    const { messages } = history.messages[0] as { messages: Array<{ seq: number, user: string, text: string }> }
    expect(messages.map((m) => [m.seq, m.user, m.text])).to.deep.equal([[1, 'ann', 'hello from a browser'], [2, 'bob', 'hello over gRPC']])
  })

  it('should stream a room\'s messages in order as another client posts them over gRPC, when a browser subscribes', async () => {
    await s.chat(s.bobToken).call('Post', { room: 'live', text: 'before' })
    const events: Event[] = []
    const abort = new AbortController()
    const reading = (async () => {
      const stream = web.stream(`${CHAT}/Subscribe`, { room: 'live', after: 0 }, { token: s.annToken, signal: abort.signal })
      try {
        for await (const event of stream) events.push(event as Event)
      } catch (err) {
        if (!abort.signal.aborted) throw err
      }
    })()
    await waitFor(() => events.some((e) => e.live !== undefined), 'the live marker')
    const c = s.chat(s.bobToken)
    for (let i = 1; i <= 20; i++) await c.call('Post', { room: 'live', text: `m${i}` })
    await waitFor(() => events.length === 22, 'the 20 live messages')
    expect(events.map((e) => e.message?.text ?? `live ${e.live?.lastSeq}`)).to.deep.equal(['before', 'live 1', ...Array.from({ length: 20 }, (_, i) => `m${i + 1}`)])
    expect(events.slice(2).map((e) => e.message?.seq)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 2))
    abort.abort()
    await reading
  })

  it('should stream the user\'s agent\'s answer, started to done, when a browser asks', async () => {
    const answer = await web.call(`${AGENT}/Ask`, { text: 'Hello?', user: '' }, { token: s.annToken })
    expect(answer.code).to.equal(0)
    const events = answer.messages as Array<{ started?: unknown, token?: { text: string }, done?: { stopReason: string } }>
    expect(events[0]?.started).to.not.equal(undefined)
    expect(events.flatMap((e) => e.token === undefined ? [] : [e.token.text]).join('')).to.equal('scripted answer here')
    expect(events.at(-1)?.done?.stopReason).to.equal('eos')
    const bob = await web.call(`${AGENT}/History`, { user: 'ann', limit: 0 }, { token: s.bobToken })
    expect([bob.code, bob.details]).to.deep.equal([grpc.status.PERMISSION_DENIED, 'bob may not talk to ann\'s agent; only its own user may'])
  })

  it('should answer UNAUTHENTICATED in the trailers, and nothing else, when the token is missing or wrong', async () => {
    const none = await web.call(`${CHAT}/Post`, { room: 'r', text: 'x' })
    expect([none.httpStatus, none.code, none.messages.length]).to.deep.equal([200, grpc.status.UNAUTHENTICATED, 0])
    expect(none.details).to.equal('missing token: send metadata "authorization: Bearer <token>"')
    const wrong = await web.call(`${CHAT}/Post`, { room: 'r', text: 'x' }, { token: 'plxu_wrong' })
    expect([wrong.code, wrong.details]).to.deep.equal([grpc.status.UNAUTHENTICATED, 'invalid or revoked token'])
    expect((await web.call(`${CHAT}/History`, { room: 'r', after: 0, limit: 0 }, { token: s.annToken })).messages).to.deep.equal([{ messages: [], retainedFrom: 1 }])
  })

  it('should answer a status in the trailers, and keep serving, when a frame is malformed, not base64, too large or of an unknown method or type', async () => {
    const post = `${CHAT}/Post`
    const cases: Array<[string, Parameters<GrpcWebClient['call']>[2], number, RegExp]> = [
      ['short', { body: Buffer.from([0, 0]) }, grpc.status.INVALID_ARGUMENT, /^request: a gRPC-Web frame has a 5-byte header, got 2 bytes$/],
      ['length', { body: Buffer.from([0, 0, 0, 0, 9, 1]) }, grpc.status.INVALID_ARGUMENT, /^request: the frame says 9 bytes of message, the body has 1/],
      ['trailer flag', { body: frame(0x80, Buffer.from('x')) }, grpc.status.INVALID_ARGUMENT, /flag 0x80/],
      ['compressed', { body: frame(1, Buffer.from('x')) }, grpc.status.INVALID_ARGUMENT, /^request: compressed messages are not taken/],
      ['not protobuf', { body: frame(0, Buffer.from([0xff, 0xff, 0xff])) }, grpc.status.INVALID_ARGUMENT, /^request: not a Post request \(protobuf: /],
      ['not base64', { text: true, body: 'AAAA$$$$' }, grpc.status.INVALID_ARGUMENT, /^request: not base64/],
      ['content type', { body: frame(0, Buffer.alloc(0)), contentType: 'application/grpc-web+json' }, grpc.status.INVALID_ARGUMENT, /^content-type: expected application\/grpc-web, /],
      ['too large', { body: Buffer.alloc(8 * 1024 * 1024) }, grpc.status.RESOURCE_EXHAUSTED, /^request: over the limit of 4194304 bytes/]
    ]
    for (const [what, options, code, details] of cases) {
      const answer = await web.call(post, undefined, { token: s.annToken, ...options })
      expect([answer.httpStatus, answer.code], what).to.deep.equal([200, code])
      expect(answer.details, what).to.match(details)
    }
    const unknown = await web.call(`${CHAT}/Nope`, undefined, { token: s.annToken, body: frame(0, Buffer.alloc(0)) })
    expect([unknown.code, unknown.details]).to.deep.equal([grpc.status.UNIMPLEMENTED, 'unknown method /plexi.chat.v1.Chat/Nope: this node serves plexi.chat.v1.Chat and plexi.agent.v1.Agent'])
    const upload = await web.call(`${CHAT}/Import`, undefined, { token: s.annToken, body: frame(0, Buffer.alloc(0)) })
    expect(upload.code).to.equal(grpc.status.UNIMPLEMENTED)
    expect((await web.call(post, { room: 'r', text: 'still serving' }, { token: s.annToken })).code).to.equal(0)
  })

  it('should take and answer base64, frame by frame, when a client speaks application/grpc-web-text', async () => {
    const posted = await web.call(`${CHAT}/Post`, { room: 't', text: 'in text mode' }, { token: s.annToken, text: true })
    expect([posted.code, posted.headers.get('content-type')]).to.deep.equal([0, 'application/grpc-web-text+proto'])
    const events: Event[] = []
    const abort = new AbortController()
    const reading = (async () => {
      try {
        for await (const event of web.stream(`${CHAT}/Subscribe`, { room: 't', after: 0 }, { token: s.annToken, text: true, signal: abort.signal })) events.push(event as Event)
      } catch (err) {
        if (!abort.signal.aborted) throw err
      }
    })()
    await waitFor(() => events.some((e) => e.live !== undefined), 'the live marker')
    await s.chat(s.bobToken).call('Post', { room: 't', text: 'over gRPC' })
    await waitFor(() => events.length === 3, 'the live message')
    expect(events.map((e) => e.message?.text ?? 'live')).to.deep.equal(['in text mode', 'live', 'over gRPC'])
    abort.abort()
    await reading
    const bad = await web.call(`${CHAT}/Post`, undefined, { token: s.annToken, text: true, body: 'AAAAAAE=' })
    expect(bad.code).to.equal(grpc.status.INVALID_ARGUMENT)
  })

  it('should serve the chat page with a strict CSP, and refuse a cross-origin preflight, when no origin is configured', async () => {
    const page = await fetch(`${base}/`)
    expect(page.headers.get('content-security-policy')).to.match(/^default-src 'none'; script-src 'self' 'sha256-/)
    expect(await page.text()).to.include('<title>Plexi chat</title>').and.include('/ui/app.js')
    const preflight = await fetch(`${base}${CHAT}/Post`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
    expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).to.deep.equal([403, null])
  })

  it('should allow a configured origin\'s preflight and calls, and no other origin, when web-cors-origin names one', async () => {
    await app.close()
    await start({ corsOrigins: ['https://chat.example.com'] })
    const ok = await fetch(`${base}${CHAT}/Post`, { method: 'OPTIONS', headers: { origin: 'https://chat.example.com', 'access-control-request-method': 'POST' } })
    expect([ok.status, ok.headers.get('access-control-allow-origin')]).to.deep.equal([204, 'https://chat.example.com'])
    expect(ok.headers.get('access-control-allow-headers')).to.include('authorization')
    const other = await fetch(`${base}${CHAT}/Post`, { method: 'OPTIONS', headers: { origin: 'https://chat.example.com.evil', 'access-control-request-method': 'POST' } })
    expect(other.status).to.equal(403)
    const call = await web.call(`${CHAT}/Post`, { room: 'r', text: 'x' }, { token: s.annToken, headers: { origin: 'https://chat.example.com' } })
    expect([call.code, call.headers.get('access-control-allow-origin'), call.headers.get('access-control-expose-headers')]).to.deep.equal([0, 'https://chat.example.com', 'grpc-status, grpc-message, grpc-status-details-bin, retry-after-ms'])
  })

  it('should let the pages of the cluster\'s members call, down ones too, and let its own page call those up, when members name their web origins', async () => {
    await app.close()
    let members = [{ status: 'up', addresses: { web: 'http://10.0.0.2:7404' } }, { status: 'up', addresses: {} }]
    let now = 0
    await start({ memberOrigins: new MemberOrigins(() => members, () => 'http://10.0.0.1:7404', () => now) })
    const csp = (await fetch(`${base}/`)).headers.get('content-security-policy') ?? ''
    expect(csp).to.include("connect-src 'self' http://10.0.0.1:7404 http://10.0.0.2:7404;")
    const preflight = async (origin: string): Promise<[number, string | null]> => {
      const res = await fetch(`${base}${CHAT}/Post`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } })
      return [res.status, res.headers.get('access-control-allow-origin')]
    }
    expect(await preflight('http://10.0.0.2:7404')).to.deep.equal([204, 'http://10.0.0.2:7404'])
    expect(await preflight('http://10.0.0.9:7404')).to.deep.equal([403, null])
    const call = await web.call(`${CHAT}/Post`, { room: 'r', text: 'from a page of 10.0.0.2' }, { token: s.annToken, headers: { origin: 'http://10.0.0.2:7404' } })
    expect([call.code, call.headers.get('access-control-allow-origin')]).to.deep.equal([0, 'http://10.0.0.2:7404'])
    // 10.0.0.2 was killed: its pages move here, and its origin is no longer one to call
    members = [{ status: 'down', addresses: { web: 'http://10.0.0.2:7404' } }]
    now += 60_000
    expect(await preflight('http://10.0.0.2:7404')).to.deep.equal([204, 'http://10.0.0.2:7404'])
    expect((await fetch(`${base}/`)).headers.get('content-security-policy')).to.include("connect-src 'self' http://10.0.0.1:7404;")
  })

  it('should refuse with RESOURCE_EXHAUSTED and count a failed authentication, as the gRPC server does, when an address is over its limits', async () => {
    await app.close()
    const clients = new ClientLimits({ rate: 1000, burst: 1000, authFailures: 2, streams: 1 })
    await start({ clients })
    for (let i = 0; i < 2; i++) expect((await web.call(`${CHAT}/Post`, { room: 'r', text: 'x' }, { token: 'plxu_wrong' })).code).to.equal(grpc.status.UNAUTHENTICATED)
    const throttled = await web.call(`${CHAT}/Post`, { room: 'r', text: 'x' }, { token: s.annToken })
    expect(throttled.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    expect(Number(throttled.trailers['retry-after-ms'])).to.be.greaterThan(0)
    expect(clients.stats.failedAuthentications.web).to.equal(2)
  })

  it('should carry a Subscribe on an HTTP/2 stream as messages are posted, and end it UNAVAILABLE on close, when TLS is on', async () => {
    await app.close()
    const dir = await tempDir()
    try {
      const pair = await makeTlsPair(dir.path)
      app = await buildWebServer({ services: servedServices(s.services), retryTypes: s.retryTypes, logger: false, https: { cert: pair.ca, key: await readFile(pair.keyFile) } })
      await app.listen({ host: '127.0.0.1', port: 0 })
      const session = connect(`https://localhost:${(app.server.address() as { port: number }).port}`, { ca: pair.ca })
      const request = Buffer.from((s.services[0]?.service.Subscribe?.requestSerialize as (r: unknown) => Buffer)({ room: 'h2', after: 0 }))
      const stream = session.request({ ':method': 'POST', ':path': `${CHAT}/Subscribe`, 'content-type': 'application/grpc-web+proto', authorization: `Bearer ${s.annToken}` })
      stream.end(frame(0, request))
      let body = Buffer.alloc(0)
      stream.on('data', (chunk: Buffer) => { body = Buffer.concat([body, chunk]) })
      const frames = (): number[] => {
        const flags: number[] = []
        for (let at = 0; at + 5 <= body.length; at += 5 + body.readUInt32BE(at + 1)) flags.push(body[at] as number)
        return flags
      }
      await waitFor(() => frames().length === 1, 'the live marker')
      await s.chat(s.bobToken).call('Post', { room: 'h2', text: 'over HTTP/2' })
      await waitFor(() => frames().length === 2, 'the posted message')
      expect(body.includes('over HTTP/2')).to.equal(true)
      const ended = new Promise<void>((resolve) => { stream.on('end', resolve) })
      await app.close()
      await ended
      session.close()
      expect(frames()).to.deep.equal([0, 0, 0x80])
      expect(body.toString('latin1')).to.include('grpc-status:14\r\n')
    } finally {
      await dir.remove()
      await start()
    }
  })

  it('should end an open stream UNAVAILABLE, when the listener closes', async () => {
    const stream = web.stream(`${CHAT}/Subscribe`, { room: 'c', after: 0 }, { token: s.annToken })
    const first = await stream.next()
    expect((first.value as Event).live).to.deep.equal({ lastSeq: 0 })
    const closing = app.close()
    let end = await stream.next()
    while (end.done !== true) end = await stream.next()
    await closing
    expect(end.value.code).to.equal(grpc.status.UNAVAILABLE)
    await start()
  })
})
