import { expect } from 'chai'
import { bearerToken } from '../../../node/openai/request-auth.ts'
import { NEVER } from '../../helpers/watched-limits.ts'
import { HeldEndpoint, TOKEN, errorOf } from './held-backend.ts'

describe('requestAuth (real Fastify, listening)', function () {
  this.timeout(30_000)
  const endpoint = new HeldEndpoint()

  afterEach(async () => { await endpoint.close() })

  it('should read a bearer token in any case of the scheme, and no other header or a token too long to be ours', () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).to.equal(TOKEN)
    expect(bearerToken(`bEaReR   ${TOKEN}  `)).to.equal(TOKEN)
    for (const header of [undefined, TOKEN, `Basic ${TOKEN}`, 'Bearer', 'Bearer a b', `Bearer ${'x'.repeat(513)}`]) expect(bearerToken(header), String(header)).to.equal(undefined)
  })

  it('should refuse a request with no or a wrong key with 401 invalid_api_key and WWW-Authenticate, counting only a key sent as a failure', async () => {
    await endpoint.serve({})
    for (const token of [null, 'wrong']) {
      const res = await endpoint.models(token)
      expect(res.status).to.equal(401)
      expect(res.headers.get('www-authenticate')).to.equal('Bearer')
      expect(await errorOf(res)).to.deep.equal({ message: 'missing or invalid API key: send "Authorization: Bearer <your Plexi user token>"', type: 'invalid_request_error', param: null, code: 'invalid_api_key' })
    }
    expect(endpoint.limits.stats.failedAuthentications.openai).to.equal(1)
    expect((await endpoint.models(TOKEN)).status).to.equal(200)
  })

  it('should refuse an address over its rate with 429 rate_limit_exceeded and Retry-After, and not another address', async () => {
    await endpoint.serve({ rate: NEVER, burst: 2 })
    expect((await endpoint.models(TOKEN)).status).to.equal(200)
    expect((await endpoint.models(null)).status).to.equal(401)   // a refused request counts too
    const limited = await endpoint.models(TOKEN)
    expect(limited.status).to.equal(429)
    expect(Number(limited.headers.get('retry-after'))).to.be.greaterThan(900)
    const body = await errorOf(limited)
    expect([body.type, body.code]).to.deep.equal(['rate_limit_error', 'rate_limit_exceeded'])
    expect(body.message).to.match(/^rate limit: at most 0.001 requests per second from one address \(bursts of 2\), and 127\.0\.0\.1 is over it; retry in \d+ ms$/)
    expect((await endpoint.complete(false)).status).to.equal(429)
    expect((await endpoint.models(TOKEN, '[::1]')).status).to.equal(200)
    expect(endpoint.limits.stats.refused.openai.rate).to.equal(2)
  })

  it('should refuse an address\'s keys, the right one too, after its failed authentications, and not another address\'s', async () => {
    await endpoint.serve({ authFailures: 2, authFailuresPerSecond: NEVER })
    for (const key of ['wrong-1', 'wrong-2']) {
      const res = await endpoint.models(key)
      expect(res.status).to.equal(401)
      expect((await errorOf(res)).code).to.equal('invalid_api_key')
    }
    expect((await endpoint.models(null)).status).to.equal(401)   // no key is no attempt
    const refused = await endpoint.models(TOKEN)
    expect(refused.status).to.equal(429)
    expect(Number(refused.headers.get('retry-after'))).to.be.greaterThan(900)
    const body = await errorOf(refused)
    expect([body.type, body.code]).to.deep.equal(['rate_limit_error', 'rate_limit_exceeded'])
    expect(body.message).to.match(/^too many failed authentications from 127\.0\.0\.1; retry in \d+ s$/)
    expect((await endpoint.complete(true)).status).to.equal(429)
    expect((await endpoint.models(TOKEN, '[::1]')).status).to.equal(200)
    expect(endpoint.limits.stats.failedAuthentications.openai).to.equal(2)
    expect(endpoint.limits.stats.refused.openai['auth-failures']).to.equal(2)
  })

  it('should give a user one budget from every address, answered 429 rate_limit_exceeded past it', async () => {
    await endpoint.serve({ userRate: NEVER, userBurst: 2 })
    expect((await endpoint.models(TOKEN)).status).to.equal(200)
    expect((await endpoint.models(TOKEN, '[::1]')).status).to.equal(200)
    const over = await endpoint.models(TOKEN, '[::1]')
    expect(over.status).to.equal(429)
    expect(Number(over.headers.get('retry-after'))).to.be.greaterThan(900)
    const body = await errorOf(over)
    expect([body.type, body.code]).to.deep.equal(['rate_limit_error', 'rate_limit_exceeded'])
    expect(body.message).to.match(/^rate limit: at most 0.001 requests per second per user \(bursts of 2\), and alice is over it; retry in \d+ ms$/)
    expect((await endpoint.complete(false)).status).to.equal(429)
    expect((await endpoint.models('wrong')).status, 'an unknown key is refused as before').to.equal(401)
    expect(endpoint.limits.stats.refused.openai['user-rate']).to.equal(2)
  })
})
