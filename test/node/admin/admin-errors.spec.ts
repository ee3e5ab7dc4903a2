import { expect } from 'chai'
import { request } from 'node:http'
import { ActorStoppedError, AskTimeoutError, MailboxFullError, UserExistsError } from '../../../actors/index.ts'
import { RateLimitedError } from '../../../protocols/index.ts'
import { ModelMemoryError } from '../../../runtimes/index.ts'
import { errorBody } from '../../../node/admin/admin-errors.ts'
import { MAX_JSON_DEPTH } from '../../../node/limits/index.ts'
import { ADMIN_TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
type Shape = { statusCode: number, code: string, error: string, message: string }

describe('admin errors', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  /** Asserts the one error shape, and returns it. */
  const shaped = (res: { statusCode: number, headers: Record<string, unknown>, body: string }, status: number, code: string): Shape => {
    expect(res.statusCode, res.body).to.equal(status)
    expect(String(res.headers['content-type'])).to.match(/^application\/json/)
    const body = JSON.parse(res.body) as Shape
    expect(Object.keys(body).sort()).to.deep.equal(['code', 'error', 'message', 'statusCode'])
    expect(body).to.include({ statusCode: status, code })
    expect(body.message.length).to.be.lessThan(600)
    return body
  }

  it('should answer every refusal before a route runs in the same shape, echoing nothing at length', async () => {
    const long = 'x'.repeat(200_000)
    shaped(await f.app.inject({ method: 'GET', url: '/nope' }), 404, 'NOT_FOUND')
    shaped(await f.app.inject({ method: 'PATCH', url: '/api/v1/users', headers: auth }), 404, 'NOT_FOUND')
    const notFound = shaped(await f.app.inject({ method: 'GET', url: `/api/v1/${long}`, headers: auth }), 404, 'NOT_FOUND')
    expect(notFound.message).to.not.include('x'.repeat(200))
    shaped(await f.app.inject({ method: 'GET', url: '/api/v1/cluster' }), 401, 'UNAUTHORIZED')
    shaped(await f.app.inject({ method: 'DELETE', url: `/api/v1/users/${'y'.repeat(2000)}`, headers: auth }), 414, 'URI_TOO_LONG')
    shaped(await f.app.inject({ method: 'GET', url: '/api/v1/users/%E0%A4%A', headers: auth }), 400, 'BAD_URL')
    shaped(await f.app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ name: long }) }), 413, 'BODY_TOO_LARGE')
    shaped(await f.app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'alice' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    shaped(await f.app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...auth, 'content-type': 'application/json' }, payload: '{nope' }), 400, 'INVALID_JSON')
    const invalid = shaped(await f.app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'Bad Name!' }) }), 400, 'FST_ERR_VALIDATION')
    expect(invalid.message).to.match(/^body\/name must match pattern/)
  })

  it('should take a JSON content type with no body as no body, and say so where a body is needed', async () => {
    // a route that takes no body: the empty body is not an error (this node has no ai role: 404)
    shaped(await f.app.inject({ method: 'POST', url: '/api/v1/models/tiny/load', headers: { ...auth, 'content-type': 'application/json' } }), 404, 'NO_AI_ROLE')
    shaped(await f.app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...auth, 'content-type': 'application/json' } }), 400, 'FST_ERR_VALIDATION')
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/users', headers: { ...auth, 'content-type': 'application/json' } })).statusCode).to.equal(200)
  })

  it('should refuse a body nested deeper than MAX_JSON_DEPTH with 400 BODY_TOO_DEEP before any hook or route holds it (found by fuzzing: 5,000 deep answered 500 from the audit hook)', async () => {
    const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`
    const post = async (payload: string) => await f.app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...auth, 'content-type': 'application/json' }, payload })
    const users = async (): Promise<unknown> => (await f.app.inject({ method: 'GET', url: '/api/v1/users', headers: auth })).json()
    const before = await users()
    for (const payload of [nested(5_000), nested(MAX_JSON_DEPTH + 1), `{"name":"ann","x":${nested(200)}}`]) {
      const body = shaped(await post(payload), 400, 'BODY_TOO_DEEP')
      expect(body.message).to.equal(`the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; no request needs more`)
    }
    expect(await users()).to.deep.equal(before)
    // at the limit, and brackets inside a string, the body is read and answered as any other
    shaped(await post(nested(MAX_JSON_DEPTH)), 400, 'FST_ERR_VALIDATION')
    shaped(await post(JSON.stringify({ name: '['.repeat(5_000) })), 400, 'FST_ERR_VALIDATION')
    // the refusal is recorded as an admin action refused, with nothing of its body
    const records = (await f.app.inject({ method: 'GET', url: '/api/v1/audit?limit=1000', headers: auth })).json() as { records: Array<{ status: number, detail: string }> }
    expect(records.records.slice(0, 3).map((r) => [r.status, r.detail])).to.deep.equal([[400, ''], [400, ''], [400, '']])
  })

  it('should answer headers too large for Node\'s parser in the same shape, on a real socket', async () => {
    await f.app.listen({ host: '127.0.0.1', port: 0 })
    const port = (f.app.server.address() as { port: number }).port
    const res = await new Promise<{ statusCode: number, headers: Record<string, unknown>, body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/api/v1/users/${'z'.repeat(40_000)}`, headers: auth }, (r) => {
        let body = ''
        r.on('data', (chunk: Buffer) => { body += chunk.toString() })
        r.on('end', () => { resolve({ statusCode: r.statusCode ?? 0, headers: r.headers, body }) })
      })
      req.on('error', reject)
      req.end()
    })
    shaped(res, 431, 'HEADERS_TOO_LARGE')
  })

  it('should map what routes throw by its kind: one status per kind, a stable code, Retry-After where waiting helps', async () => {
    const thrown: unknown[] = [
      new UserExistsError('ann'), new RateLimitedError('slow down', 2500), new ModelMemoryError('no room'),
      new MailboxFullError('/x', 8), new AskTimeoutError('/x', 5), new ActorStoppedError('/x'), new TypeError('secret detail')
    ]
    let next = 0
    f.app.get('/throw', async () => { throw thrown[next++] })
    const expected: Array<[number, string, string | undefined]> = [
      [409, 'USER_EXISTS', undefined], [429, 'RATE_LIMITED', '3'], [429, 'MODEL_MEMORY', '1'],
      [429, 'MAILBOX_FULL', '1'], [504, 'TIMEOUT', '1'], [503, 'UNAVAILABLE', '1'], [500, 'INTERNAL', undefined]
    ]
    for (const [status, code, retryAfter] of expected) {
      const res = await f.app.inject({ method: 'GET', url: '/throw' })
      const body = shaped(res, status, code)
      expect(res.headers['retry-after'], code).to.equal(retryAfter)
      if (code === 'INTERNAL') expect(body.message).to.not.include('secret')
    }
    expect(errorBody(400, 'X', 'm'.repeat(10_000)).message.length).to.equal(500)
  })
})
