import { expect } from 'chai'
import Fastify from 'fastify'
import { auditBodyOf, auditNoteOf, decorateRequestIdentity, markRefusedUnchecked, noteForAudit, principalOf, recordBodyAs, refusedUnchecked, setPrincipal } from '../../../node/admin/request-identity.ts'

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

  it('should keep what a route records in place of a body, on that request alone (an empty one too)', async () => {
    const app = Fastify()
    try {
      await app.register(async (api) => {
        decorateRequestIdentity(api)
        api.post('/seen', async (request) => {
          const given = request.headers['x-instead']
          if (given !== undefined) recordBodyAs(request, given === 'none' ? undefined : { shown: given })
          return { instead: auditBodyOf(request) ?? null }
        })
      }, { prefix: '/api' })
      expect((await app.inject({ method: 'POST', url: '/api/seen', payload: { secret: 'x' } })).json()).to.deep.equal({ instead: null })
      expect((await app.inject({ method: 'POST', url: '/api/seen', payload: { secret: 'x' }, headers: { 'x-instead': 'names' } })).json()).to.deep.equal({ instead: { body: { shown: 'names' } } })
      expect((await app.inject({ method: 'POST', url: '/api/seen', headers: { 'x-instead': 'none' } })).json()).to.deep.equal({ instead: {} })
      expect((await app.inject({ method: 'POST', url: '/api/seen' })).json(), 'the next request').to.deep.equal({ instead: null })
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
