import { expect } from 'chai'
import { AdminFixture } from '../../helpers/admin-fixture.ts'

describe('openApiDocs', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  it('should build the description only when first asked, then answer every /docs page from it', async () => {
    expect(f.app.hasDecorator('swagger'), 'no swagger plugin on the endpoint').to.equal(false)
    const json = await f.app.inject({ method: 'GET', url: '/docs/json' })
    expect(json.statusCode).to.equal(200)
    const doc = json.json() as { openapi: string, paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).to.match(/^3\./)
    expect(doc.paths['/api/v1/users']).to.include.keys('get', 'post')
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/docs')), 'its own pages are not described').to.deep.equal([])
    const yaml = await f.app.inject({ method: 'GET', url: '/docs/yaml' })
    expect(yaml.headers['content-type']).to.equal('application/x-yaml')
    expect(yaml.body).to.include('/api/v1/users:')
    const page = await f.app.inject({ method: 'GET', url: '/docs' })
    expect(page.statusCode).to.equal(200)
    expect(page.body).to.include('<html')
    const css = await f.app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' })
    expect(css.statusCode).to.equal(200)
    expect(css.headers['content-type']).to.match(/^text\/css/)
    expect((await f.app.inject({ method: 'HEAD', url: '/docs/json' })).statusCode).to.equal(200)
  })

  it('should answer a page it does not have with the endpoint\'s own 404', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/docs/static/nope' })
    expect(res.statusCode).to.equal(404)
    expect(res.json()).to.deep.include({ code: 'NOT_FOUND' })
  })
})
