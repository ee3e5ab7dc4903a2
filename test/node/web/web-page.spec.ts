import { expect } from 'chai'
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { PAGE_DIR, pageRoutes, withConnectMeta } from '../../../node/web/web-page.ts'

/** Every module app.js imports, directly or not, as paths under /ui/ (bare names through the page's
 * import map; a vendored module's own imports are bare names of the same map). */
function importGraph (html: string): Set<string> {
  const map = JSON.parse(/<script type="importmap">([^<]*)<\/script>/.exec(html)?.[1] ?? '{}').imports as Record<string, string>
  const seen = new Set<string>()
  const visit = (path: string): void => {
    if (seen.has(path)) return
    seen.add(path)
    if (path.startsWith('vendor/')) return
    for (const m of readFileSync(join(PAGE_DIR, path), 'utf8').matchAll(/^(?:import|export)\b[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
      const name = m[1] ?? m[2] ?? ''
      visit(map[name]?.replace(/^\/ui\//, '') ?? posix.normalize(posix.join(dirname(path), name)))
    }
  }
  visit('app.js')
  seen.delete('app.js')
  return seen
}

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

  it('should give the page the same origins its policy lets it call, in its plexi-connect meta, read once per page', async () => {
    let reads = 0
    const app = Fastify()
    await app.register(pageRoutes(undefined, () => { reads++; return ['http://10.0.0.2:7404', 'http://10.0.0.3:7404'] }))
    const res = await app.inject({ url: '/' })
    expect(reads).to.equal(1)
    expect(String(res.headers['content-security-policy'])).to.include("connect-src 'self' http://10.0.0.2:7404 http://10.0.0.3:7404;")
    expect(res.body).to.include('<meta charset="utf-8">\n<meta name="plexi-connect" content="http://10.0.0.2:7404 http://10.0.0.3:7404">')
    // an origin is a plain scheme://host:port (isWebOrigin): escaped all the same
    expect(withConnectMeta({ body: Buffer.from('<head><meta charset="utf-8"></head>'), contentType: 'text/html' }, ['http://a"><script>']).body.toString())
      .to.equal('<head><meta charset="utf-8">\n<meta name="plexi-connect" content="http://a&#34;&#62;&#60;script&#62;"></head>')
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

  it('should name every module the page imports, and no other, in a static modulepreload link of index.html', async () => {
    const app = Fastify()
    await app.register(pageRoutes())
    const html = (await app.inject({ url: '/' })).body
    const preloaded = [...html.matchAll(/<link rel="modulepreload" href="\/ui\/([^"]+)">/g)].map((m) => m[1])
    expect(preloaded.length).to.equal(new Set(preloaded).size)
    expect(new Set(preloaded)).to.deep.equal(importGraph(html))
    // the import map comes first: a module fetched before it would ignore it
    expect(html.indexOf('type="importmap"')).to.be.lessThan(html.indexOf('rel="modulepreload"'))
    await app.close()
  })
})
