import { expect } from 'chai'
import type { AuditRecord } from '../../../../actors/index.ts'
import { auditRoutes } from '../../../../node/admin/routes/audit-routes.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture, NODE_ID } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('auditRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = async (method: 'GET' | 'POST', url: string, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload }) })
  const records = async (query = ''): Promise<AuditRecord[]> => ((await api('GET', `/api/v1/audit${query}`)).json() as { records: AuditRecord[] }).records

  it('should prove the chain unbroken, page by page, and refuse a bad query', async () => {
    for (let i = 0; i < 5; i++) await api('POST', '/api/v1/users', { name: `u${i}` })
    const verdict = (await api('GET', '/api/v1/audit/verify')).json() as { ok: boolean, records: number, head: { seq: number, hash: string }, brokenAt: number | null }
    const all = await records()
    expect(verdict).to.deep.equal({ ok: true, records: 5, head: { seq: 5, hash: all[4]?.hash }, brokenAt: null, reason: null })
    expect((await records('?after=3&limit=1')).map((r) => r.seq)).to.deep.equal([4])
    for (const query of ['?after=-1', '?limit=0', '?limit=1001', '?limit=x', '?since=1']) {
      expect((await api('GET', `/api/v1/audit${query}`)).statusCode, query).to.equal(400)
    }
  })

  it('should list a write through this node at the next read, though the page before it is kept for the reads after it', async () => {
    expect(await records()).to.deep.equal([])
    // the empty page is kept (ADMIN_LIST_FRESH_MS) for the reads after it, until a write answers here
    await api('POST', '/api/v1/users', { name: 'ann' })
    expect((await records()).map((r) => [r.seq, r.action])).to.deep.equal([[1, 'POST /api/v1/users']])
    await api('POST', '/api/v1/users', { name: 'bob' })
    expect((await records()).map((r) => r.seq)).to.deep.equal([1, 2])
  })

  it('should serve alone with the trail it is given: its records and head, without recording reads', async () => {
    await f.audit.record({ actor: 'admin', node: NODE_ID, ip: '10.0.0.1', action: 'POST /api/v1/users', target: '/api/v1/users', outcome: 'ok', status: 201, detail: '{"name":"ann"}' })
    const app = await pluginApp(auditRoutes({ audit: f.audit }))
    try {
      const page = (await app.inject({ method: 'GET', url: '/api/v1/audit' })).json() as { records: AuditRecord[], head: { seq: number, hash: string } }
      expect(page.records.map((r) => [r.seq, r.actor, r.ip, r.detail])).to.deep.equal([[1, 'admin', '10.0.0.1', '{"name":"ann"}']])
      expect(page.head).to.deep.equal({ seq: 1, hash: page.records[0]?.hash })
      expect((await app.inject({ method: 'GET', url: '/api/v1/audit/verify' })).json()).to.deep.include({ ok: true, records: 1 })
    } finally {
      await app.close()
    }
  })

  it('should refuse every route on a node that keeps no audit trail', async () => {
    const app = await pluginApp(auditRoutes({}))
    try {
      for (const url of ['/api/v1/audit', '/api/v1/audit/verify']) {
        const res = await app.inject({ method: 'GET', url })
        expect(res.statusCode, url).to.be.at.least(500)
        expect(res.json(), url).to.have.all.keys('statusCode', 'code', 'error', 'message')
      }
    } finally {
      await app.close()
    }
  })
})
