import { expect } from 'chai'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AuditRecord } from '../../../actors/index.ts'
import { AdminTokens } from '../../../node/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('buildAdminServer: named admin tokens and their scopes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, token = TOKEN, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload }) })

  it('should let a read token read everything and refuse it every action with 403, each in the audit trail under its name', async () => {
    const made = await api('POST', '/api/v1/tokens', TOKEN, { name: 'viewer' })
    expect(made.statusCode).to.equal(201)
    const { token, scope } = made.json() as { token: string, scope: string }
    expect(scope).to.equal('read')
    expect(token).to.match(/^plxa_[A-Za-z0-9_-]{43}$/)
    for (const url of ['/api/v1/cluster', '/api/v1/users', '/api/v1/jobs', '/api/v1/audit', '/api/v1/tokens']) {
      expect((await api('GET', url, token)).statusCode, url).to.equal(200)
    }
    const refused = await api('POST', '/api/v1/users', token, { name: 'mallory' })
    expect(refused.statusCode).to.equal(403)
    expect(refused.json()).to.deep.include({ code: 'READ_ONLY_TOKEN', message: 'the admin token viewer may only read (scope read): POST needs the admin token or one of scope admin' })
    expect((await api('POST', '/api/v1/tokens', token, { name: 'escalate', scope: 'admin' })).statusCode).to.equal(403)
    expect((await api('GET', '/api/v1/users')).json()).to.deep.equal([])
    const records = ((await api('GET', '/api/v1/audit')).json() as { records: AuditRecord[] }).records
    expect(records.map((r) => [r.actor, r.action, r.status])).to.deep.equal([
      ['admin', 'POST /api/v1/tokens', 201], ['token:viewer', 'POST /api/v1/users', 403], ['token:viewer', 'POST /api/v1/tokens', 403]
    ])
    expect(JSON.stringify(records)).to.not.include(token)
  })

  it('should let a token of scope admin act, list tokens without their secrets, and revoke one at once', async () => {
    const { token } = (await api('POST', '/api/v1/tokens', TOKEN, { name: 'ops', scope: 'admin' })).json() as { token: string }
    expect((await api('POST', '/api/v1/users', token, { name: 'ann' })).statusCode).to.equal(201)
    const listed = (await api('GET', '/api/v1/tokens')).json() as Array<Record<string, unknown>>
    expect(listed.map((t) => [t.name, t.scope])).to.deep.equal([['ops', 'admin']])
    expect(listed[0]).to.have.all.keys('name', 'scope', 'createdAt')
    expect((await api('DELETE', '/api/v1/tokens/ops')).statusCode).to.equal(200)
    expect((await api('GET', '/api/v1/cluster', token)).statusCode).to.equal(401)
    expect((await api('DELETE', '/api/v1/tokens/ops')).json()).to.deep.include({ statusCode: 404, code: 'UNKNOWN_ADMIN_TOKEN' })
  })

  it('should refuse a bad name, a bad scope, an unknown field and a name taken, changing nothing', async () => {
    await api('POST', '/api/v1/tokens', TOKEN, { name: 'taken' })
    for (const [body, status] of [[{ name: 'Bad Name' }, 400], [{ name: 'x', scope: 'root' }, 400], [{ name: 'x', extra: 1 }, 400], [{}, 400], [{ name: 'taken' }, 409]] as const) {
      const res = await api('POST', '/api/v1/tokens', TOKEN, body)
      expect(res.statusCode, JSON.stringify(body)).to.equal(status)
    }
    expect(((await api('GET', '/api/v1/tokens')).json() as unknown[]).length).to.equal(1)
  })

  it('should keep the tokens as hashes in a file of mode 0600, found again by a node that starts on that data dir', async () => {
    const { token } = (await api('POST', '/api/v1/tokens', TOKEN, { name: 'kept' })).json() as { token: string }
    const file = join(f.dataDir, 'admin-tokens.json')
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    const again = await AdminTokens.open(f.dataDir)
    expect(again.match(token)).to.deep.include({ name: 'kept', scope: 'read' })
    expect(again.match(`${token}x`)).to.equal(undefined)
  })
})

describe('AdminTokens: the file', () => {
  it('should refuse a file others may read, or one that is not a list of tokens, saying what to do', async () => {
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'admin-tokens.json')
      await writeFile(file, '[]\n', { mode: 0o644 })
      const open = await AdminTokens.open(dir.path).then(() => null, (e: Error) => e)
      expect(open?.message).to.equal(`permissions 0644 on ${file} are too open: chmod 600 ${file}`)
      await writeFile(file, '{"not":"a list"}\n', { mode: 0o600 })
      const { chmod } = await import('node:fs/promises')
      await chmod(file, 0o600)
      const bad = await AdminTokens.open(dir.path).then(() => null, (e: Error) => e)
      expect(bad?.message).to.match(/is not a list of admin tokens: restore it, or delete it to revoke every named admin token$/)
    } finally {
      await dir.remove()
    }
  })
})
