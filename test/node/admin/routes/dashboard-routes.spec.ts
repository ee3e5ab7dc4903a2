import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { DashboardAssets } from '../../../../node/admin/index.ts'
import { AdminFixture } from '../../../helpers/admin-fixture.ts'

const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../node/admin/ui')

/** The module specifiers a browser module imports (static and dynamic). */
function importsOf (source: string): string[] {
  const found = new Set<string>()
  for (const m of source.matchAll(/(?:^|[\s;}])(?:import|export)\s*(?:[^'"`;]*?\sfrom\s*)?['"]([^'"]+)['"]/g)) found.add(m[1] as string)
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.add(m[1] as string)
  return [...found]
}

async function filesUnder (dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...await filesUnder(join(dir, entry.name), `${prefix}${entry.name}/`))
    else out.push(`${prefix}${entry.name}`)
  }
  return out
}

describe('dashboardRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const get = async (url: string) => await f.app.inject({ method: 'GET', url })

  it('should serve the page at / with a strict Content-Security-Policy that allows only its import map inline', async () => {
    const res = await get('/')
    expect(res.statusCode).to.equal(200)
    expect(res.headers['content-type']).to.equal('text/html; charset=utf-8')
    const csp = String(res.headers['content-security-policy'])
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]))
    expect(directives.get('default-src')).to.deep.equal(["'none'"])
    expect(directives.get('style-src')).to.deep.equal(["'self'"])
    expect(directives.get('connect-src')).to.deep.equal(["'self'"])
    expect(directives.get('frame-ancestors')).to.deep.equal(["'none'"])
    expect(directives.get('base-uri')).to.deep.equal(["'none'"])
    expect(directives.get('form-action')).to.deep.equal(["'none'"])
    expect(csp).not.to.match(/unsafe-inline|unsafe-eval|\*|https?:/)
    // the one inline script is the import map, and the policy names its hash and nothing else inline
    const html = res.body
    const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter((m) => m[2] !== '')
    expect(inline.map((m) => m[1]?.trim())).to.deep.equal(['type="importmap"'])
    const hash = createHash('sha256').update(inline[0]?.[2] ?? '').digest('base64')
    expect(directives.get('script-src')).to.deep.equal(["'self'", `'sha256-${hash}'`])
    expect(html).not.to.match(/\sstyle\s*=|\son[a-z]+\s*=/i)
    for (const [name, value] of Object.entries({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' })) {
      expect(res.headers[name], name).to.equal(value)
    }
  })

  it('should serve every file the page loads, and every module those import, with its content type and the policy', async () => {
    const index = (await get('/')).body
    const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(index)?.[1] ?? '{}') as { imports: Record<string, string> }
    expect(Object.keys(importMap.imports)).to.include.members(['preact', 'preact/hooks', 'htm', 'uplot'])
    const queue = [...index.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1] as string)
    queue.push(...Object.values(importMap.imports))
    const seen = new Set<string>()
    while (queue.length > 0) {
      const url = queue.shift() as string
      if (seen.has(url)) continue
      seen.add(url)
      const res = await get(url)
      expect(res.statusCode, url).to.equal(200)
      const type = url.endsWith('.css') ? 'text/css; charset=utf-8' : url.endsWith('.svg') ? 'image/svg+xml' : url.endsWith('.png') ? 'image/png' : 'text/javascript; charset=utf-8'
      expect(res.headers['content-type'], url).to.equal(type)
      expect(res.headers['content-security-policy'], url).to.be.a('string')
      expect(res.headers['x-content-type-options'], url).to.equal('nosniff')
      if (!/\.m?js$/.test(url)) continue
      for (const specifier of importsOf(res.body)) {
        if (specifier in importMap.imports) queue.push(importMap.imports[specifier] as string)
        else if (specifier.startsWith('/')) queue.push(specifier)
        else if (specifier.startsWith('.')) queue.push(posix.normalize(posix.join(posix.dirname(url), specifier)))
        else expect.fail(`${url} imports ${specifier}, which the import map does not name`)
      }
    }
    expect([...seen]).to.include.members(['/ui/app.js', '/ui/style.css', '/ui/vendor/preact.mjs', '/ui/vendor/uplot.mjs'])
    // and every file of the dashboard's folder is one the page loads (no dead files)
    const served = new Set([...seen].map((u) => u.slice('/ui/'.length)))
    const unused = (await filesUnder(UI_DIR)).filter((file) => file !== 'index.html' && !served.has(file))
    expect(unused, 'files in node/admin/ui that nothing loads').to.deep.equal([])
  })

  it('should answer 404 for what is not a dashboard file: other extensions, dot segments, folders, unknown vendors', async () => {
    for (const url of ['/ui/', '/ui/nothing.js', '/ui/../admin-server.ts', '/ui/%2e%2e/admin-server.ts', '/ui/..%2fadmin-server.ts', '/ui/.hidden.js',
      '/ui/vendor/other.mjs', '/ui/vendor/../../../package.json', '/ui/views', '/ui/index.ts', '/ui/app.js.map']) {
      const res = await get(url)
      expect(res.statusCode, url).to.be.oneOf([404, 400])
      expect(res.headers['content-type'], url).to.match(/^application\/json/)
    }
  })

  it('should keep only files it found: names asked that are none leave nothing behind', async () => {
    const assets = new DashboardAssets()
    for (let i = 0; i < 50; i++) expect(await assets.ui(`missing-${i}.js`)).to.equal(undefined)
    expect(assets.cached).to.equal(0)
    expect(await assets.ui('app.js')).to.not.equal(undefined)
    expect(await assets.ui('app.js')).to.not.equal(undefined)
    expect(assets.cached).to.equal(1)
  })

  it('should serve the dashboard without the admin token, and answer HEAD', async () => {
    expect((await f.app.inject({ method: 'HEAD', url: '/' })).statusCode).to.equal(200)
    expect((await f.app.inject({ method: 'HEAD', url: '/ui/app.js' })).statusCode).to.equal(200)
    expect((await get('/api/v1/cluster')).statusCode).to.equal(401)
  })

  it('should keep the page free of anything the policy would block: no inline styles or handlers in any module', async () => {
    for (const file of (await filesUnder(UI_DIR)).filter((name) => name.endsWith('.js'))) {
      const source = await readFile(join(UI_DIR, file), 'utf8')
      expect(source, file).not.to.match(/\beval\s*\(|new Function\s*\(|setAttribute\(\s*['"]style['"]|\.innerHTML\s*=|\blocalStorage\s*[.[]|document\.cookie/)
    }
  })
})
