import { gunzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import { clientLimitMetrics } from '../../../../node/metrics/index.ts'
import { expect } from 'chai'
import { acceptsGzip, metricsRoutes, statsRoutes } from '../../../../node/admin/routes/metrics-routes.ts'
import { EventStreams } from '../../../../node/admin/event-streams.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { EventReader } from '../../../helpers/event-reader.ts'
import { NEVER, WatchedLimits } from '../../../helpers/watched-limits.ts'

describe('metricsRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const request = async (token: string | null, from = '127.0.0.1') =>
    await f.app.inject({ method: 'GET', url: '/metrics', remoteAddress: from, headers: token === null ? {} : { authorization: `Bearer ${token}` } })

  it('should serve metrics openly by default, and only with the metrics token when one is set', async () => {
    const open = await f.app.inject({ method: 'GET', url: '/metrics' })
    expect(open.statusCode).to.equal(200)
    expect(open.headers['content-type']).to.match(/^text\/plain/)
    expect(open.body).to.match(/^plexi_messages_processed_total \d+$/m)
    f.metricsToken = 'metrics-token-0123456789'
    await f.build()
    expect((await f.app.inject({ method: 'GET', url: '/metrics' })).statusCode).to.equal(401)
    expect((await f.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).to.equal(401)
    expect((await f.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } })).statusCode).to.equal(200)
  })

  it('should send the text gzipped to a client that accepts gzip (as Prometheus does), and plain to one that does not', async () => {
    const zipped = await f.app.inject({ method: 'GET', url: '/metrics', headers: { 'accept-encoding': 'gzip, deflate' } })
    expect(zipped.statusCode).to.equal(200)
    expect(zipped.headers['content-encoding']).to.equal('gzip')
    expect(zipped.headers.vary).to.equal('accept-encoding')
    expect(zipped.headers['content-type']).to.match(/^text\/plain/)
    expect(gunzipSync(zipped.rawPayload).toString()).to.match(/^plexi_messages_processed_total \d+$/m)
    for (const refused of [undefined, 'identity', 'gzip;q=0', 'br']) {
      const plain = await f.app.inject({ method: 'GET', url: '/metrics', headers: refused === undefined ? {} : { 'accept-encoding': refused } })
      expect(plain.headers['content-encoding'], String(refused)).to.equal(undefined)
      expect(plain.body).to.match(/^plexi_messages_processed_total \d+$/m)
    }
    expect([acceptsGzip('GZIP'), acceptsGzip('br;q=1, x-gzip'), acceptsGzip('*'), acceptsGzip('gzip;q=0.5'), acceptsGzip('gzip;q=0'), acceptsGzip('')]).to.deep.equal([true, true, true, true, false, false])
  })

  it('should count failed metrics tokens with the admin ones: one address, one count', async () => {
    const limits = new WatchedLimits({ rate: 0, burst: 1, authFailures: 2, authFailuresPerSecond: NEVER, streams: 0 })
    clientLimitMetrics(f.metrics.registry, limits.stats)
    f.clients = limits
    f.metricsToken = 'metrics-token-for-tests-0123'
    await f.build()
    expect((await request('wrong-metrics-token')).statusCode).to.equal(401)
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/nodes', headers: { authorization: 'Bearer wrong-admin-token' } })).statusCode).to.equal(401)
    const refused = await request('metrics-token-for-tests-0123')
    expect(refused.statusCode).to.equal(429)
    expect(refused.json()).to.deep.include({ code: 'AUTH_THROTTLED' })
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/nodes', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).to.equal(429)
    expect((await request('metrics-token-for-tests-0123', '10.0.0.2')).statusCode).to.equal(200)
    expect([limits.stats.failedAuthentications.metrics, limits.stats.failedAuthentications.admin]).to.deep.equal([1, 1])
    expect([limits.stats.refused.metrics['auth-failures'], limits.stats.refused.admin['auth-failures']]).to.deep.equal([1, 1])
  })

  it('should serve alone at the root with the node\'s registry, asking no token of a request that presents none', async () => {
    const app = await pluginApp(metricsRoutes({ metrics: f.metrics, metricsToken: 'scrape-token-0123456789' }), 'root')
    try {
      const refused = await app.inject({ method: 'GET', url: '/metrics' })
      expect(refused.statusCode).to.equal(401)
      expect(refused.headers['www-authenticate']).to.equal('Bearer')
      expect(refused.json()).to.deep.include({ code: 'UNAUTHORIZED', message: 'missing or wrong metrics token: send "Authorization: Bearer <token>"' })
      const scraped = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-token-0123456789' } })
      expect(scraped.body).to.match(/^plexi_messages_processed_total \d+$/m)
    } finally {
      await app.close()
    }
  })
})

describe('statsRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = async (url: string, token = TOKEN) => await f.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

  it('should list the samples taken, oldest first, behind the admin token', async () => {
    expect((await api('/api/v1/stats')).json()).to.deep.equal({ node: f.self().peerId, intervalMs: 1000, samples: [] })
    await f.sampler.sample()
    f.metrics.chatMessages.inc(4)
    f.clock += 2000
    await f.sampler.sample()
    const body = (await api('/api/v1/stats')).json() as { samples: Array<Record<string, unknown>> }
    expect(body.samples).to.have.length(1)
    expect(body.samples[0]).to.deep.include({ ts: f.clock, postsPerSec: 2, deliveriesPerSec: 0, askMeanMs: null })
    expect(body.samples[0]).to.have.all.keys('ts', 'postsPerSec', 'deliveriesPerSec', 'asksPerSec', 'askMeanMs', 'askP99Ms', 'tokensPerSec', 'rssBytes', 'heapUsedBytes', 'actors', 'entities', 'members')
    for (const url of ['/api/v1/stats', '/api/v1/stats/stream']) {
      expect((await api(url, 'wrong')).statusCode, url).to.equal(401)
    }
  })

  it('should list the newest 10 samples by default, the newest limit asked, and refuse a limit past the 300 kept', async () => {
    for (let i = 0; i < 14; i++) {
      f.clock += 1000
      await f.sampler.sample()
    }
    const ts = async (url: string): Promise<number[]> => ((await api(url)).json() as { samples: Array<{ ts: number }> }).samples.map((s) => s.ts)
    const all = await ts('/api/v1/stats?limit=300')
    expect(all).to.have.length(13)   // the first sample has no rate yet: 13 of 14
    expect(await ts('/api/v1/stats')).to.deep.equal(all.slice(-10))
    expect(await ts('/api/v1/stats?limit=1')).to.deep.equal(all.slice(-1))
    // a new sample after a kept answer: the kept bytes are not sent again
    f.clock += 1000
    await f.sampler.sample()
    expect((await ts('/api/v1/stats?limit=1'))[0]).to.equal(f.clock)
    for (const bad of ['0', '301', 'ten']) {
      const res = await api(`/api/v1/stats?limit=${bad}`)
      expect(res.statusCode, bad).to.equal(400)
      expect((res.json() as { message: string }).message, bad).to.match(/limit/)
    }
    expect((await api('/api/v1/stats?window=5')).statusCode).to.equal(400)
  })

  it('should send the samples kept first, then each new sample as it is taken', async () => {
    await f.app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`
    await f.sampler.sample()
    f.clock += 1000
    await f.sampler.sample()
    const res = await fetch(`${base}/api/v1/stats/stream`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8')
    const reader = new EventReader(res.body as ReadableStream<Uint8Array>)
    try {
      const history = await reader.next()
      expect(history?.event).to.equal('history')
      expect((history?.data as { samples: unknown[] }).samples).to.have.length(1)
      f.metrics.chatDeliveries.inc(3)
      f.clock += 1000
      await f.sampler.sample()
      const next = await reader.next()
      expect(next?.event).to.equal('sample')
      expect(next?.data).to.deep.include({ ts: f.clock, deliveriesPerSec: 3 })
    } finally {
      await reader.cancel().catch(() => undefined)
    }
  })

  it('should list none on a node that samples nothing, served alone', async () => {
    const app = await pluginApp(statsRoutes({ self: f.self, streams: new EventStreams() }))
    try {
      expect((await app.inject({ method: 'GET', url: '/api/v1/stats' })).json()).to.deep.equal({ node: f.self().peerId, intervalMs: 1000, samples: [] })
    } finally {
      await app.close()
    }
  })
})
