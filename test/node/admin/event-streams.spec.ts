import { once } from 'node:events'
import { clientLimitMetrics } from '../../../node/metrics/index.ts'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import type { ClientLimitsOptions } from '../../../node/limits/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'
import { EventReader } from '../../helpers/event-reader.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { WatchedLimits } from '../../helpers/watched-limits.ts'

describe('EventStreams', () => {
  const f = new AdminFixture()
  let limits: WatchedLimits
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  /** The fixture's admin endpoint behind these limits (the rest off). */
  async function limit (opts: Partial<ClientLimitsOptions>): Promise<void> {
    limits = new WatchedLimits({ rate: 0, burst: 1, authFailures: 0, streams: 0, ...opts })
    clientLimitMetrics(f.metrics.registry, limits.stats)
    f.clients = limits
    await f.build()
  }

  describe('bounded', () => {
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
  })

  describe('per client address', () => {
    let port = 0
    const readers: EventReader[] = []
    afterEach(async () => {
      for (const reader of readers.splice(0)) await reader.cancel().catch(() => undefined)
    })
    /** Listens on every address: IPv4 clients come as 127.0.0.1, IPv6 ones as ::1. */
    async function listen (): Promise<void> {
      await f.app.listen({ host: '::', port: 0 })
      port = (f.app.server.address() as AddressInfo).port
    }
    const open = async (path: string, host = '127.0.0.1'): Promise<{ status: number, retryAfter: string | null, body: unknown }> => {
      const res = await fetch(`http://${host}:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      if (res.status !== 200) return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() }
      const reader = new EventReader(res.body as ReadableStream<Uint8Array>)
      readers.push(reader)
      expect((await reader.next())?.event).to.equal('history')
      return { status: 200, retryAfter: null, body: undefined }
    }

    it('should refuse an address one stream too many with 429 TOO_MANY_STREAMS, and take one again once one closes', async () => {
      await limit({ streams: 2 })
      await listen()
      expect((await open('/api/v1/stats/stream')).status).to.equal(200)
      expect((await open('/api/v1/logs/stream')).status).to.equal(200)
      const refused = await open('/api/v1/stats/stream')
      expect(refused.status).to.equal(429)
      expect(refused.retryAfter).to.equal('1')
      expect(refused.body).to.deep.include({ code: 'TOO_MANY_STREAMS', message: 'at most 2 streams may be open at once from one address on this node, and 127.0.0.1 has 2; close one first' })
      expect((await open('/api/v1/stats/stream', '[::1]')).status).to.equal(200)
      const freed = once(limits.freed, 'freed')
      await readers.shift()?.cancel()
      expect(await freed).to.deep.equal(['127.0.0.1'])
      expect((await open('/api/v1/logs/stream')).status).to.equal(200)
      expect(limits.stats.refused.admin.streams).to.equal(1)
    })
  })
})
