import { expect } from 'chai'
import type { FastifyInstance } from 'fastify'
import { buildOpenAiServer } from '../../../node/openai/index.ts'
import { HeldBackend, TOKEN } from './held-backend.ts'

describe('modelRoutes (real Fastify inject)', () => {
  let app: FastifyInstance
  const get = async (url: string, token: string | null = TOKEN) => await app.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } })

  beforeEach(async () => {
    app = await buildOpenAiServer({ backend: new HeldBackend(), logger: false, defaults: { maxTokens: 16, maxTokensLimit: 100 } })
  })
  afterEach(async () => { await app.close() })

  it('should list the user\'s models as OpenAI does, when asked for them', async () => {
    const res = await get('/v1/models')
    expect(res.statusCode).to.equal(200)
    expect(res.json()).to.deep.equal({
      object: 'list',
      data: [{ id: 'tiny', object: 'model', created: 1, owned_by: 'plexi' }, { id: 'org/model', object: 'model', created: 2, owned_by: 'plexi' }]
    })
  })

  it('should show one model, its id holding a slash too, when asked for it', async () => {
    expect((await get('/v1/models/tiny')).json()).to.deep.equal({ id: 'tiny', object: 'model', created: 1, owned_by: 'plexi' })
    expect((await get('/v1/models/org/model')).json()).to.deep.include({ id: 'org/model' })
  })

  it('should answer 404 model_not_found naming the model, and 401 without a key, when the model is unknown or the caller is not known', async () => {
    const missing = await get('/v1/models/nope')
    expect(missing.statusCode).to.equal(404)
    expect(missing.json()).to.deep.equal({ error: { message: 'the model "nope" does not exist or you do not have access to it', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } })
    expect((await get('/v1/models', null)).statusCode).to.equal(401)
    expect((await get('/v1/models/tiny', 'wrong')).statusCode).to.equal(401)
  })
})
