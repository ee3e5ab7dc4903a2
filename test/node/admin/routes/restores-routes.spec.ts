import { expect } from 'chai'
import { chatRoom } from '../../../../actors/index.ts'
import type { PostAck } from '../../../../actors/index.ts'
import { restoresRoutes } from '../../../../node/admin/routes/restores-routes.ts'
import type { Job } from '../../../../protocols/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'
import { loneBackups } from '../../../helpers/lone-backups.ts'

describe('restoresRoutes', function () {
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

  const api = async (method: 'GET' | 'POST', url: string, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload }) })
  const backedUp = async (): Promise<string> => {
    await f.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    const started = (await api('POST', '/api/v1/backups')).json() as Job
    expect((await f.jobs.settled(started.id, 20_000))?.state).to.equal('done')
    return ((await api('GET', '/api/v1/backups')).json() as Array<{ id: string }>)[0]?.id ?? ''
  }

  it('should restore one room of a backup as a dry run, saying what would change, and keep the restores it ran', async () => {
    const id = await backedUp()
    expect((await api('GET', '/api/v1/restores')).json()).to.deep.equal([])
    const started = await api('POST', `/api/v1/backups/${id}/restore`, { room: 'general', dryRun: true })
    expect(started.statusCode).to.equal(202)
    const job = await f.jobs.settled((started.json() as Job).id, 20_000)
    expect(job, job?.error ?? '').to.include({ kind: 'restore', state: 'done' })
    expect(job?.left.map((l) => l.item)).to.deep.equal(['room/general'])
    const restored = await api('POST', `/api/v1/backups/${id}/restore`, { room: 'general' })
    expect((await f.jobs.settled((restored.json() as Job).id, 20_000))?.state).to.equal('done')
    expect(((await api('GET', '/api/v1/restores')).json() as Array<{ backup: string, selection: unknown, state: string }>).map((r) => [r.backup, r.selection, r.state]))
      .to.deep.equal([[id, { room: 'general' }, 'done']])
  })

  it('should refuse a restore of one room and one user, a time that is none, a name that is no key and a backup there is none of, starting no job', async () => {
    const id = await backedUp()
    const cases: Array<[object, number, string]> = [
      [{ room: 'general', user: 'alice' }, 400, 'restore one room or one user, not both (or neither: everything)'],
      [{ since: 'yesterday' }, 400, 'since: expected an ISO 8601 time such as 2026-11-24T09:00:00Z'],
      [{ since: '2026-13-45' }, 400, 'since: expected an ISO 8601 time such as 2026-11-24T09:00:00Z']
    ]
    for (const [body, status, message] of cases) {
      expect((await api('POST', `/api/v1/backups/${id}/restore`, body)).json(), JSON.stringify(body)).to.deep.include({ statusCode: status, code: 'BAD_REQUEST', message })
    }
    expect((await api('POST', `/api/v1/backups/${id}/restore`, { room: '$system' })).statusCode).to.equal(400)
    expect((await api('POST', `/api/v1/backups/${id}/restore`, { dryRun: 'yes' })).statusCode).to.equal(400)
    expect((await api('POST', '/api/v1/backups/bk-nothing/restore', { room: 'general' })).json()).to.deep.include({ statusCode: 404, code: 'UNKNOWN_BACKUP' })
    expect(f.jobs.list().filter((j) => j.kind === 'restore')).to.deep.equal([])
  })

  it('should answer 503 on every route of a node that keeps no backups, served alone', async () => {
    const app = await pluginApp(restoresRoutes({ system: f.system }))
    try {
      for (const [method, url] of [['GET', '/api/v1/restores'], ['POST', '/api/v1/backups/bk-x/restore']] as const) {
        expect((await app.inject({ method, url })).json(), `${method} ${url}`).to.deep.include({ statusCode: 503, code: 'UNAVAILABLE', message: 'this node keeps no backups' })
      }
    } finally {
      await app.close()
    }
  })
})
