import { expect } from 'chai'
import Fastify from 'fastify'
import { auditNoteOf, decorateRequestIdentity, markRefusedUnchecked, noteForAudit, principalOf, refusedUnchecked, setPrincipal } from '../../../node/admin/request-identity.ts'

describe('request identity', () => {
  it('should start each request with none of it set, and keep what a hook or route sets on that request alone', async () => {
    const app = Fastify()
    try {
      await app.register(async (api) => {
        decorateRequestIdentity(api)
        api.addHook('onRequest', async (request) => {
          if (request.headers['x-who'] !== undefined) setPrincipal(request, { actor: String(request.headers['x-who']), scope: 'read' })
          if (request.headers['x-throttled'] !== undefined) markRefusedUnchecked(request)
        })
        api.get('/seen', async (request) => {
          if (request.headers['x-note'] !== undefined) noteForAudit(request, String(request.headers['x-note']))
          return { principal: principalOf(request) ?? null, unchecked: refusedUnchecked(request), note: auditNoteOf(request) ?? null }
        })
      }, { prefix: '/api' })
      expect((await app.inject({ method: 'GET', url: '/api/seen' })).json()).to.deep.equal({ principal: null, unchecked: false, note: null })
      expect((await app.inject({ method: 'GET', url: '/api/seen', headers: { 'x-who': 'token:viewer', 'x-throttled': '1', 'x-note': 'forced' } })).json())
        .to.deep.equal({ principal: { actor: 'token:viewer', scope: 'read' }, unchecked: true, note: 'forced' })
      expect((await app.inject({ method: 'GET', url: '/api/seen' })).json(), 'the next request').to.deep.equal({ principal: null, unchecked: false, note: null })
    } finally {
      await app.close()
    }
  })

  it('should fail loudly where a route outside the scope that declares it reads it', async () => {
    const app = Fastify()
    try {
      app.get('/outside', async (request) => ({ principal: principalOf(request) ?? null }))
      const res = await app.inject({ method: 'GET', url: '/outside' })
      expect(res.statusCode).to.equal(500)
      expect(res.json()).to.include({ code: 'FST_ERR_DEC_UNDECLARED' })
    } finally {
      await app.close()
    }
  })
})
