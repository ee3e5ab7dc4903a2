import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { EventStreams } from '../../../../node/admin/event-streams.ts'
import { logsRoutes } from '../../../../node/admin/routes/logs-routes.ts'
import { LOG_HISTORY } from '../../../../node/admin/constants.ts'
import { LogTail } from '../../../../node/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { EventReader } from '../../../helpers/event-reader.ts'

describe('logsRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = async (url: string, token = TOKEN) => await f.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

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
    for (const url of ['/api/v1/logs', '/api/v1/logs/stream']) {
      expect((await api(url, 'wrong')).statusCode, url).to.equal(401)
    }
  })

  it('should answer the same lines the same way, serialized once, and a new line at once', async () => {
    f.logTail.push({ level: 30, msg: 'one' })
    const first = await api('/api/v1/logs?limit=2')
    expect(first.headers['content-type']).to.match(/^application\/json/)
    const again = await api('/api/v1/logs?limit=2')
    expect(again.body).to.equal(first.body)
    f.logTail.push({ level: 30, msg: 'two' })
    expect(((await api('/api/v1/logs?limit=2')).json() as { entries: Array<{ msg: string }> }).entries.map((e) => e.msg).at(-1)).to.equal('two')
    // another query between two reads of the same lines: each its own answer
    expect(((await api('/api/v1/logs?limit=1')).json() as { entries: Array<{ msg: string }> }).entries.map((e) => e.msg)).to.deep.equal(['two'])
    expect(((await api('/api/v1/logs?limit=2')).json() as { entries: Array<{ msg: string }> }).entries.map((e) => e.msg)).to.deep.equal(['one', 'two'])
  })

  it('should send the last lines at the level asked, then each new line at that level or above', async () => {
    await f.app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`
    f.logTail.push({ level: 30, msg: 'old info' })
    f.logTail.push({ level: 40, msg: 'old warn' })
    const res = await fetch(`${base}/api/v1/logs/stream?level=warn`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8')
    const reader = new EventReader(res.body as ReadableStream<Uint8Array>)
    try {
      const history = await reader.next()
      expect(history).to.deep.nested.include({ event: 'history' })
      expect((history?.data as { entries: Array<{ msg: string }> }).entries.map((e) => e.msg)).to.deep.equal(['old warn'])
      f.logTail.push({ level: 30, msg: 'new info' })
      f.logTail.push({ level: 50, msg: 'new error' })
      const next = await reader.next()
      expect(next?.event).to.equal('entry')
      expect(next?.data).to.deep.include({ msg: 'new error', level: 'error' })
      expect((await api('/api/v1/logs/stream?level=nope')).statusCode).to.equal(400)
    } finally {
      await reader.cancel().catch(() => undefined)
    }
  })

  it('should list the last LOG_HISTORY lines by default, and none on a node that keeps no tail, served alone', async () => {
    const tail = new LogTail()
    for (let i = 0; i < LOG_HISTORY + 5; i++) tail.push({ level: 30, msg: `line ${i}` })
    const kept = await pluginApp(logsRoutes({ logs: tail, streams: new EventStreams() }))
    const none = await pluginApp(logsRoutes({ streams: new EventStreams() }))
    try {
      const entries = ((await kept.inject({ method: 'GET', url: '/api/v1/logs' })).json() as { entries: Array<{ msg: string }> }).entries
      expect(entries).to.have.length(LOG_HISTORY)
      expect(entries.at(-1)?.msg).to.equal(`line ${LOG_HISTORY + 4}`)
      expect((await none.inject({ method: 'GET', url: '/api/v1/logs' })).json()).to.deep.equal({ entries: [] })
    } finally {
      await kept.close()
      await none.close()
    }
  })
})
