import type { AddressInfo } from 'node:net'
import { clientLimitMetrics } from '../../../node/metrics/index.ts'
import { expect } from 'chai'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'
import { EventReader } from '../../helpers/event-reader.ts'
import { WatchedLimits } from '../../helpers/watched-limits.ts'

/** Every route of the endpoint, by resource, as OpenAPI names them. */
const ROUTES: Record<string, readonly string[]> = {
  '/livez': ['get'], '/readyz': ['get'], '/metrics': ['get'],
  '/api/v1/cluster': ['get'], '/api/v1/nodes': ['get'], '/api/v1/nodes/{peerId}/roles': ['put'], '/api/v1/nodes/{peerId}/drain': ['post'], '/api/v1/nodes/{peerId}/decommission': ['post'],
  '/api/v1/actors': ['get'], '/api/v1/actors/{type}/{key}': ['get'], '/api/v1/actors/{type}/{key}/migrate': ['post'],
  '/api/v1/partitions': ['get'], '/api/v1/repairs': ['get', 'post'], '/api/v1/repairs/{id}': ['get'],
  '/api/v1/storage': ['get'], '/api/v1/scrub': ['get', 'post'], '/api/v1/search': ['get'],
  '/api/v1/jobs': ['get'], '/api/v1/jobs/{id}': ['get'], '/api/v1/jobs/{id}/cancel': ['post'],
  '/api/v1/backups': ['get', 'post'], '/api/v1/backups/sweep': ['post'], '/api/v1/backups/{id}': ['get', 'delete'], '/api/v1/backups/{id}/verify': ['post'],
  '/api/v1/restores': ['get'], '/api/v1/backups/{id}/restore': ['post'],
  '/api/v1/tokens': ['get', 'post'], '/api/v1/tokens/{name}': ['delete'],
  '/api/v1/users': ['get', 'post'], '/api/v1/users/{name}': ['delete'], '/api/v1/users/{name}/tools': ['get', 'post'],
  '/api/v1/models': ['get'], '/api/v1/inference': ['get'], '/api/v1/models/{name}/load': ['post'], '/api/v1/models/{name}/unload': ['post'], '/api/v1/models/pull': ['post'],
  '/api/v1/stats': ['get'], '/api/v1/stats/stream': ['get'], '/api/v1/logs': ['get'], '/api/v1/logs/stream': ['get'],
  '/api/v1/audit': ['get'], '/api/v1/audit/verify': ['get'], '/api/v1/rooms': ['get'],
  '/api/v1/users/{name}/erase': ['post'], '/api/v1/rooms/{room}/redact': ['post'], '/api/v1/retention': ['get'], '/api/v1/rooms/{room}/retention': ['put'], '/api/v1/retention/run': ['post'], '/api/v1/storage/scan': ['post'],
  '/api/v1/rooms/{room}/export': ['get'], '/api/v1/rooms/{room}/import': ['post'],
  '/api/v1/users/{name}/export': ['get'], '/api/v1/users/{name}/agent/export': ['get'], '/api/v1/users/{name}/agent/import': ['post'],
  '/api/v1/plugins': ['get', 'post'], '/api/v1/plugins/{name}': ['get', 'delete'], '/api/v1/plugins/{name}/enable': ['post'], '/api/v1/plugins/{name}/disable': ['post'],
  '/api/v1/plugins/{name}/rollback': ['post'], '/api/v1/plugins/{name}/upgrade': ['post'], '/api/v1/plugins/{name}/logs': ['get'],
  '/api/v1/mcp-servers': ['get', 'post'], '/api/v1/mcp-servers/{name}': ['get', 'put', 'delete']
}

describe('buildAdminServer', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  it('should describe every route in OpenAPI at /docs/json', async () => {
    const doc = (await f.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(doc.paths)).to.include.members(['/livez', '/readyz', '/metrics', '/api/v1/cluster', '/api/v1/nodes',
      '/api/v1/actors', '/api/v1/actors/{type}/{key}', '/api/v1/users', '/api/v1/users/{name}', '/api/v1/rooms'])
    expect(doc.paths['/api/v1/users']).to.include.keys('get', 'post')
  })

  it('should write every <placeholder> of the OpenAPI texts inside a code span, where the docs page shows it (as markup, it vanished)', async () => {
    const doc = (await f.app.inject({ method: 'GET', url: '/docs/json' })).json() as { info: { description: string } }
    expect(doc.info.description).to.include('`Authorization: Bearer <admin token>`')
    const texts: string[] = []
    const walk = (v: unknown, key: string): void => {
      if (typeof v === 'string') {
        if (key === 'description' || key === 'summary') texts.push(v)
      } else if (Array.isArray(v)) {
        for (const x of v) walk(x, '')
      } else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) walk(x, k)
      }
    }
    walk(doc, '')
    expect(texts.length).to.be.greaterThan(100)
    // outside code spans (`...`) no <word>: markdown would take it for a tag
    const bare = texts.filter((t) => /<[A-Za-z][^<>]*>/.test(t.replace(/`[^`]*`/g, '')))
    expect(bare).to.deep.equal([])
  })

  it('should serve every resource\'s routes, each under its own path and no other', async () => {
    const doc = (await f.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> }
    const served = Object.fromEntries(Object.entries(doc.paths).map(([path, methods]) => [path, Object.keys(methods).filter((m) => m !== 'head').sort()]))
    expect(served).to.deep.equal(Object.fromEntries(Object.entries(ROUTES).map(([path, methods]) => [path, [...methods].sort()])))
  })

  it('should describe the jobs routes in OpenAPI', async () => {
    const doc = (await f.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>>, components: { schemas: Record<string, unknown> } }
    expect(Object.keys(doc.paths)).to.include.members(['/api/v1/jobs', '/api/v1/jobs/{id}', '/api/v1/jobs/{id}/cancel'])
    expect(doc.paths['/api/v1/jobs/{id}/cancel']).to.have.key('post')
    expect(JSON.stringify(doc)).to.include('KIND-N-XXXX')
  })

  describe('live streams', () => {
    const readers: EventReader[] = []
    afterEach(async () => {
      for (const reader of readers.splice(0)) await reader.cancel().catch(() => undefined)
    })
    /** A stream opened on the listening endpoint, its history read. */
    const open = async (path: string, host = '127.0.0.1'): Promise<EventReader> => {
      const port = (f.app.server.address() as AddressInfo).port
      const res = await fetch(`http://${host}:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(res.status).to.equal(200)
      const reader = new EventReader(res.body as ReadableStream<Uint8Array>)
      readers.push(reader)
      expect((await reader.next())?.event).to.equal('history')
      return reader
    }

    it('should end every open stream when the server closes, so a node stop never waits on a browser', async () => {
      await f.app.listen({ host: '127.0.0.1', port: 0 })
      const reader = await open('/api/v1/logs/stream')
      await f.app.close()
      expect(await reader.next()).to.equal(undefined)
    })

    it('should free every stream\'s slot when the server closes', async () => {
      const limits = new WatchedLimits({ rate: 0, burst: 1, authFailures: 0, streams: 2 })
      clientLimitMetrics(f.metrics.registry, limits.stats)
      f.clients = limits
      await f.build()
      // every address: IPv4 clients come as 127.0.0.1, IPv6 ones as ::1
      await f.app.listen({ host: '::', port: 0 })
      await open('/api/v1/stats/stream')
      await open('/api/v1/logs/stream', '[::1]')
      expect(limits.stats.streamsOpen).to.equal(2)
      await f.app.close()
      expect(limits.stats.streamsOpen).to.equal(0)
    })
  })
})
