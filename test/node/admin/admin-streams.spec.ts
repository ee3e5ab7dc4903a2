import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'
import { EventReader } from '../../helpers/event-reader.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('buildAdminServer: stats and logs', () => {
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
    for (const url of ['/api/v1/stats', '/api/v1/stats/stream', '/api/v1/logs', '/api/v1/logs/stream']) {
      expect((await api(url, 'wrong')).statusCode, url).to.equal(401)
    }
  })

  it('should list the last log lines at a level or above, and refuse a bad level or limit with 400 naming it', async () => {
    for (const [level, msg] of [[20, 'debug line'], [30, 'info line'], [40, 'warn line'], [50, 'error line']] as const) f.logTail.push({ level, msg })
    const msgs = async (query: string): Promise<string[]> => ((await api(`/api/v1/logs${query}`)).json() as { entries: Array<{ msg: string }> }).entries.map((e) => e.msg)
    expect(await msgs('')).to.deep.equal(['info line', 'warn line', 'error line'])
    expect(await msgs('?level=debug&limit=2')).to.deep.equal(['warn line', 'error line'])
    expect(await msgs('?level=error')).to.deep.equal(['error line'])
    for (const [query, says] of [['?level=loud', 'must be equal to one of the allowed values'], ['?limit=0', 'must be >= 1'], ['?limit=1001', 'must be <= 1000'], ['?limit=x', 'must be integer'], ['?since=1', 'must NOT have additional properties']]) {
      const res = await api(`/api/v1/logs${query}`)
      expect(res.statusCode, query).to.equal(400)
      expect((res.json() as { message: string }).message, query).to.include(says)
    }
  })

  describe('live streams', () => {
    let base = ''
    const opened: EventReader[] = []
    beforeEach(async () => {
      await f.app.listen({ host: '127.0.0.1', port: 0 })
      base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`
    })
    afterEach(async () => {
      for (const reader of opened.splice(0)) await reader.cancel().catch(() => undefined)
    })

    const open = async (path: string): Promise<{ status: number, reader: EventReader | undefined, body: unknown }> => {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      if (res.status !== 200) return { status: res.status, reader: undefined, body: await res.json() }
      expect(res.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8')
      const reader = new EventReader(res.body as ReadableStream<Uint8Array>)
      opened.push(reader)
      return { status: 200, reader, body: undefined }
    }

    it('should send the samples kept first, then each new sample as it is taken', async () => {
      await f.sampler.sample()
      f.clock += 1000
      await f.sampler.sample()
      const { reader } = await open('/api/v1/stats/stream')
      const history = await reader?.next()
      expect(history?.event).to.equal('history')
      expect((history?.data as { samples: unknown[] }).samples).to.have.length(1)
      f.metrics.chatDeliveries.inc(3)
      f.clock += 1000
      await f.sampler.sample()
      const next = await reader?.next()
      expect(next?.event).to.equal('sample')
      expect(next?.data).to.deep.include({ ts: f.clock, deliveriesPerSec: 3 })
    })

    it('should send the last lines at the level asked, then each new line at that level or above', async () => {
      f.logTail.push({ level: 30, msg: 'old info' })
      f.logTail.push({ level: 40, msg: 'old warn' })
      const { reader } = await open('/api/v1/logs/stream?level=warn')
      const history = await reader?.next()
      expect(history).to.deep.nested.include({ event: 'history' })
      expect((history?.data as { entries: Array<{ msg: string }> }).entries.map((e) => e.msg)).to.deep.equal(['old warn'])
      f.logTail.push({ level: 30, msg: 'new info' })
      f.logTail.push({ level: 50, msg: 'new error' })
      const next = await reader?.next()
      expect(next?.event).to.equal('entry')
      expect(next?.data).to.deep.include({ msg: 'new error', level: 'error' })
      expect((await api('/api/v1/logs/stream?level=nope')).statusCode).to.equal(400)
    })

    it('should refuse a 17th open stream with 429 and take a new one once one closes', async () => {
      for (let i = 0; i < 16; i++) {
        const { status, reader } = await open(i % 2 === 0 ? '/api/v1/stats/stream' : '/api/v1/logs/stream')
        expect(status).to.equal(200)
        expect((await reader?.next())?.event).to.equal('history')
      }
      const refused = await open('/api/v1/stats/stream')
      expect(refused.status).to.equal(429)
      expect(refused.body).to.deep.include({ code: 'TOO_MANY_STREAMS' })
      await opened.shift()?.cancel()
      // the server learns of the close from its socket: wait for it, bounded
      let again: Awaited<ReturnType<typeof open>> | undefined
      await waitFor(async () => { again = await open('/api/v1/logs/stream'); return again.status === 200 }, 'a stream slot to be freed', { interval: 20 })
      expect((await again?.reader?.next())?.event).to.equal('history')
    })

    it('should end every open stream when the server closes, so a node stop never waits on a browser', async () => {
      const { reader } = await open('/api/v1/logs/stream')
      expect((await reader?.next())?.event).to.equal('history')
      await f.app.close()
      expect(await reader?.next()).to.equal(undefined)
    })
  })
})
