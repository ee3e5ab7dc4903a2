import { createHash } from 'node:crypto'
import { expect } from 'chai'
import { DashboardAssets, contentSecurityPolicy } from '../../../node/admin/dashboard-assets.ts'

describe('DashboardAssets', () => {
  it('should read the page and its files with their content types, keeping each file once', async () => {
    const assets = new DashboardAssets()
    const index = await assets.index()
    expect(index.contentType).to.equal('text/html; charset=utf-8')
    expect(index.body.toString('utf8')).to.include('<script type="importmap">')
    const app = await assets.ui('app.js')
    expect(app?.contentType).to.match(/^text\/javascript/)
    expect(app?.body.toString('utf8')).to.include('const VIEWS')
    expect(await assets.ui('app.js')).to.equal(app)
    expect(assets.cached).to.equal(2)
  })

  it('should refuse what is not a dashboard file, and keep nothing of it', async () => {
    const assets = new DashboardAssets()
    for (const path of ['../admin-server.ts', 'views/../../admin-server.ts', '.hidden.js', 'views/', 'app.ts', 'vendor/nothing.mjs', 'nothing.js']) {
      expect(await assets.ui(path), path).to.equal(undefined)
    }
    expect(assets.cached).to.equal(0)
  })

  it('should allow only the page\'s own inline import map, by its hash, and nothing from elsewhere', async () => {
    const html = '<html><script type="importmap">{"imports":{}}</script><script src="/ui/app.js"></script></html>'
    const hash = createHash('sha256').update('{"imports":{}}', 'utf8').digest('base64')
    const csp = contentSecurityPolicy(html)
    expect(csp.split('; ')).to.include.members(["default-src 'none'", `script-src 'self' 'sha256-${hash}'`, "frame-ancestors 'none'", "form-action 'none'"])
    expect(await new DashboardAssets().csp()).to.match(/^default-src 'none'; script-src 'self' 'sha256-[A-Za-z0-9+/=]+'; /)
  })
})
