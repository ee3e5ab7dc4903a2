import { expect } from 'chai'
import { chatRoom } from '../../../../actors/index.ts'
import type { PostAck } from '../../../../actors/index.ts'
import { backupsRoutes } from '../../../../node/admin/routes/backups-routes.ts'
import type { Job } from '../../../../protocols/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { loneBackups } from '../../../helpers/lone-backups.ts'

describe('backupsRoutes', function () {
  this.timeout(30_000)
  const f = new AdminFixture()
  let close: (() => Promise<void>) | undefined
  beforeEach(async () => {
    // backups need a member that holds the backup role: this node
    await f.setup({ roles: ['chat', 'backup'] })
    const backups = await loneBackups(f)
    close = backups.close
    f.backups = backups.service
    await f.build()
  })
  afterEach(async () => {
    await f.teardown()
    await close?.()
  })

  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload }) })
  /** The job a route started, once it ended. */
  const ended = async (res: { statusCode: number, json: () => unknown }): Promise<Job> => {
    expect(res.statusCode).to.equal(202)
    const end = await f.jobs.settled((res.json() as Job).id, 20_000)
    if (end === undefined) throw new Error('the job is not known')
    return end
  }

  it('should make a backup, list it, show it, verify it and remove it', async () => {
    await f.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    expect((await api('GET', '/api/v1/backups')).json()).to.deep.equal([])
    const made = await ended(await api('POST', '/api/v1/backups', { note: 'first' }))
    expect(made, made.error ?? '').to.include({ kind: 'backup', state: 'done' })
    const [entry] = (await api('GET', '/api/v1/backups')).json() as Array<{ id: string, state: string, note: string }>
    expect(entry).to.include({ state: 'done', note: 'first' })
    const id = entry?.id ?? ''
    expect((await api('GET', `/api/v1/backups/${id}`)).json()).to.deep.equal(entry)
    expect(await ended(await api('POST', `/api/v1/backups/${id}/verify`, { full: true }))).to.include({ kind: 'verify', state: 'done' })
    const removed = await api('DELETE', `/api/v1/backups/${id}`)
    expect(removed.statusCode).to.equal(200)
    expect(removed.json()).to.have.all.keys('id', 'chunks', 'bytes')
    expect(removed.json()).to.include({ id })
    expect((await api('GET', `/api/v1/backups/${id}`)).json()).to.deep.include({ statusCode: 404, code: 'UNKNOWN_BACKUP' })
    expect(await ended(await api('POST', '/api/v1/backups/sweep', { dryRun: true }))).to.include({ kind: 'sweep' })
  })

  it('should answer 404 before a verify job starts for a backup there is none of, and refuse bad ids and bodies', async () => {
    expect((await api('POST', '/api/v1/backups/bk-nothing/verify')).json()).to.deep.include({ statusCode: 404, code: 'UNKNOWN_BACKUP' })
    expect(f.jobs.list().filter((j) => j.kind === 'verify')).to.deep.equal([])
    for (const [method, url, body] of [['GET', '/api/v1/backups/not-a-backup', undefined], ['POST', '/api/v1/backups', { note: 'x'.repeat(1001) }],
      ['POST', '/api/v1/backups', { label: 'x' }], ['POST', '/api/v1/backups/sweep', { dryRun: 'yes' }], ['POST', '/api/v1/backups/bk-x/verify', { full: 1 }]] as const) {
      expect((await api(method, url, body)).statusCode, `${method} ${url}`).to.equal(400)
    }
  })

  it('should answer 503 on every route of a node that keeps no backups, served alone', async () => {
    const app = await pluginApp(backupsRoutes({}))
    try {
      for (const [method, url] of [['GET', '/api/v1/backups'], ['POST', '/api/v1/backups'], ['POST', '/api/v1/backups/sweep'], ['GET', '/api/v1/backups/bk-x'],
        ['DELETE', '/api/v1/backups/bk-x'], ['POST', '/api/v1/backups/bk-x/verify']] as const) {
        expect((await app.inject({ method, url })).json(), `${method} ${url}`).to.deep.include({ statusCode: 503, code: 'UNAVAILABLE', message: 'this node keeps no backups' })
      }
    } finally {
      await app.close()
    }
  })
})
