import { expect } from 'chai'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { errorBody, errorFields, eventError, networkCause, remoteError, retryAfterMs } from '../../../runtimes/openai/remote-error.ts'

describe('remoteError', () => {
  it('should make a 404 an unknown model, and keep any other status with its message and Retry-After', async () => {
    const missing = await remoteError(new Response('{"error":{"message":"no such model"}}', { status: 404 }), 'POST', 'http://h/v1/chat/completions')
    expect(missing.name).to.equal('UnknownModelError')
    expect(missing.message).to.equal('no such model (POST http://h/v1/chat/completions: 404)')
    const limited = await remoteError(new Response('{"error":"slow down"}', { status: 429, headers: { 'retry-after': '2' } }), 'POST', 'http://h/x')
    expect(limited).to.deep.include({ name: 'RemoteInferenceError', status: 429, retryAfterMs: 2000 })
    expect(limited.message).to.equal('slow down (POST http://h/x: 429)')
  })

  it('should read the message of every usual error body, and the status text when there is none', async () => {
    const body = async (text: string, init: ResponseInit = { status: 500 }) => (await errorBody(new Response(text, init))).message
    expect(await body('{"error":{"message":"openai style"}}')).to.equal('openai style')
    expect(await body('{"error":"ollama style"}')).to.equal('ollama style')
    expect(await body('{"detail":"fastapi style"}')).to.equal('fastapi style')
    expect(await body('{"message":"plain"}')).to.equal('plain')
    expect(await body('<html><body><h1>502 Bad   Gateway</h1></body></html>')).to.equal('502 Bad Gateway')
    expect(await body('', { status: 503, statusText: 'Service Unavailable' })).to.equal('Service Unavailable')
    expect(await body('', { status: 503 })).to.equal('no message')
    expect(await body('x'.repeat(20_000))).to.equal('no message', 'a body over the limit is not read')
  })

  it('should take an error\'s message and a numeric code that is an HTTP status', () => {
    expect(errorFields('text')).to.deep.equal({ message: 'text', status: undefined })
    expect(errorFields({ message: 'm', code: 503 })).to.deep.equal({ message: 'm', status: 503 })
    expect(errorFields({ message: 'm', code: 'rate_limit' })).to.deep.equal({ message: 'm', status: undefined })
    expect(errorFields({ code: 42 })).to.deep.equal({ message: '{"code":42}', status: undefined })
    expect(eventError('{"error":{"message":"boom"}}')).to.equal('boom')
    expect(eventError('{"message":"bare"}')).to.equal('bare')
    expect(eventError('not json')).to.equal('not json')
  })

  it('should read Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs(null)).to.equal(undefined)
    expect(retryAfterMs('1.5')).to.equal(1500)
    expect(retryAfterMs('soon')).to.equal(undefined)
    const inAMinute = retryAfterMs(new Date(Date.now() + 60_000).toUTCString()) ?? 0
    expect(inAMinute).to.be.within(58_000, 60_000)
    expect(retryAfterMs(new Date(0).toUTCString())).to.equal(0)
  })

  it('should find the cause of a failed fetch under undici\'s "fetch failed"', async () => {
    // a port that was just free: nothing listens there (fetch refuses low ports such as 1 itself)
    const server = createServer()
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    const { port } = server.address() as AddressInfo
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    const refused = await fetch(`http://127.0.0.1:${port}/`).then(() => undefined, (err: unknown) => err)
    expect(networkCause(refused)).to.equal('ECONNREFUSED')
    expect(networkCause(Object.assign(new Error('fetch failed'), { cause: { errors: [{}, { code: 'ENETUNREACH' }] } }))).to.equal('ENETUNREACH')
    expect(networkCause(Object.assign(new Error('fetch failed'), { cause: new Error('certificate has expired') }))).to.equal('certificate has expired')
    expect(networkCause(new TypeError('bad'))).to.equal('TypeError: bad')
  })
})
