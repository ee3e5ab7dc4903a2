import { expect } from 'chai'
import { adminFastify } from '../../../node/admin/admin-fastify.ts'
import { ADMIN_BODY_LIMIT, ADMIN_MAX_PARAM_LENGTH, LOG_HISTORY } from '../../../node/admin/constants.ts'
import { errorBody } from '../../../node/admin/admin-errors.ts'

describe('admin constants', () => {
  it('should take a body up to ADMIN_BODY_LIMIT and refuse one byte more, as the refusal says', async () => {
    const app = adminFastify({ logger: false })
    try {
      app.post('/echo', async (request) => ({ bytes: JSON.stringify(request.body).length }))
      const body = (n: number): string => JSON.stringify({ text: 'x'.repeat(n - '{"text":""}'.length) })
      expect((await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: body(ADMIN_BODY_LIMIT) })).json()).to.deep.equal({ bytes: ADMIN_BODY_LIMIT })
      const refused = (await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: body(ADMIN_BODY_LIMIT + 1) })).json() as { code: string, message: string }
      expect(refused.code).to.equal('BODY_TOO_LARGE')
      expect(refused.message).to.include(`${ADMIN_BODY_LIMIT / 1024} KiB`)
    } finally {
      await app.close()
    }
  })

  it('should route a path parameter of ADMIN_MAX_PARAM_LENGTH characters, an entity key of 200 percent-encoded, and refuse a longer one', async () => {
    expect(ADMIN_MAX_PARAM_LENGTH).to.be.at.least(3 * 200)
    const app = adminFastify({ logger: false })
    try {
      app.get<{ Params: { key: string } }>('/keys/:key', async (request) => ({ length: request.params.key.length }))
      expect((await app.inject({ method: 'GET', url: `/keys/${'k'.repeat(ADMIN_MAX_PARAM_LENGTH)}` })).json()).to.deep.equal({ length: ADMIN_MAX_PARAM_LENGTH })
      expect((await app.inject({ method: 'GET', url: `/keys/${'k'.repeat(ADMIN_MAX_PARAM_LENGTH + 1)}` })).json()).to.include({ statusCode: 414, code: 'URI_TOO_LONG' })
    } finally {
      await app.close()
    }
  })

  it('should send a new log reader fewer lines than the node keeps and /logs may list', () => {
    expect(LOG_HISTORY).to.be.within(1, 1000)
    expect(errorBody(413, 'BODY_TOO_LARGE', 'x')).to.include({ error: 'Payload Too Large' })
  })
})
