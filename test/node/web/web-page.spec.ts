import { expect } from 'chai'
import Fastify from 'fastify'
import { PAGE_CSP, pageRoutes, placeholderPage } from '../../../node/web/web-page.ts'

describe('web-page', () => {
  it('should name every path it is given, escaped, and say the chat page is coming', () => {
    const page = placeholderPage(['/plexi.chat.v1.Chat/Post', '/<script>'])
    expect(page).to.include('<code>/plexi.chat.v1.Chat/Post</code>').and.include('coming')
    expect(page).to.include('&#60;script&#62;').and.not.include('<script>')
  })

  it('should serve the page at / under a CSP that lets nothing load, run or frame it', async () => {
    const app = Fastify()
    await app.register(pageRoutes(['/plexi.agent.v1.Agent/Ask']))
    const res = await app.inject({ url: '/' })
    expect([res.statusCode, res.headers['content-type']]).to.deep.equal([200, 'text/html; charset=utf-8'])
    expect(res.headers['content-security-policy']).to.equal(PAGE_CSP)
    expect(PAGE_CSP).to.match(/^default-src 'none';/).and.include("frame-ancestors 'none'")
    expect(res.headers['x-content-type-options']).to.equal('nosniff')
    expect(res.body).to.include('/plexi.agent.v1.Agent/Ask')
    await app.close()
  })
})
