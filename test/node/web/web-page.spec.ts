import { expect } from 'chai'
import Fastify from 'fastify'
import { pageRoutes } from '../../../node/web/web-page.ts'

describe('web-page', () => {
  it('should serve the chat page at / under a CSP that allows only this origin\'s scripts and the import map by hash', async () => {
    const app = Fastify()
    await app.register(pageRoutes())
    const res = await app.inject({ url: '/' })
    expect([res.statusCode, res.headers['content-type']]).to.deep.equal([200, 'text/html; charset=utf-8'])
    const csp = String(res.headers['content-security-policy'])
    expect(csp).to.match(/^default-src 'none';/).and.include("frame-ancestors 'none'").and.include("connect-src 'self'").and.include("style-src 'self'")
    expect(csp).to.match(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+';/).and.not.include('unsafe')
    expect(res.headers['x-content-type-options']).to.equal('nosniff')
    expect(res.body).to.include('/ui/app.js').and.include('"preact":"/ui/vendor/preact.mjs"')
    await app.close()
  })

  it('should serve the page\'s modules and the vendored preact and htm, and 404 a path outside them, when asked under /ui/', async () => {
    const app = Fastify()
    await app.register(pageRoutes())
    for (const path of ['app.js', 'lib/grpc-web.js', 'lib/proto.js', 'views/room.js', 'style.css', 'vendor/preact.mjs', 'vendor/preact-hooks.mjs', 'vendor/htm.mjs']) {
      const res = await app.inject({ url: `/ui/${path}` })
      expect([path, res.statusCode]).to.deep.equal([path, 200])
      expect(res.headers['content-security-policy']).to.match(/^default-src 'none'/)
    }
    for (const path of ['../web-page.ts', 'vendor/uplot.mjs.map', 'nothing.js', '%2e%2e/web-page.ts']) {
      expect([path, (await app.inject({ url: `/ui/${path}` })).statusCode]).to.deep.equal([path, 404])
    }
    await app.close()
  })
})
