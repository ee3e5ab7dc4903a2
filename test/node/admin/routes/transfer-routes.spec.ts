import { expect } from 'chai'
import { chatRoom, userAgent } from '../../../../actors/index.ts'
import type { ChatMessage, PostAck } from '../../../../actors/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../../helpers/admin-fixture.ts'
import { ScriptedInference } from '../../../helpers/grpc-services.ts'

describe('transferRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup({ roles: ['chat', 'ai'] }) })
  afterEach(async () => { await f.teardown() })
  const auth = { authorization: `Bearer ${TOKEN}` }
  const post = (room: string, user: string, text: string): Promise<PostAck> => f.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user, text, replyTo }))
  const history = (room: string): Promise<ChatMessage[]> => f.system.entity(chatRoom, room).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 100, replyTo }))

  it('should stream a room\'s export in each format, naming its records', async () => {
    await post('general', 'alice', 'hello')
    await post('general', 'bob', '# not a heading')
    const json = await f.app.inject({ method: 'GET', url: '/api/v1/rooms/general/export', headers: auth })
    expect(json.statusCode).to.equal(200)
    expect(json.headers['content-type']).to.match(/^application\/json/)
    expect(json.headers['x-plexi-export-records']).to.equal('2')
    expect(json.headers['content-disposition']).to.equal('attachment; filename="room-general.json"')
    const whole = json.json() as { format: string, kind: string, records: Array<{ seq: number, text: string }> }
    expect([whole.format, whole.kind, whole.records.map((r) => r.text)]).to.deep.equal(['plexi-export/1', 'room', ['hello', '# not a heading']])
    const ndjson = await f.app.inject({ method: 'GET', url: '/api/v1/rooms/general/export?format=ndjson', headers: auth })
    expect(ndjson.body.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind)).to.deep.equal(['room', 'message', 'message'])
    const md = await f.app.inject({ method: 'GET', url: '/api/v1/rooms/general/export?format=md', headers: auth })
    expect(md.body).to.match(/^# Room general\n/)
    expect(md.body).to.include('**bob** · ').and.to.include('\\# not a heading')
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/rooms/general/export?format=xml', headers: auth })).statusCode).to.equal(400)
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/rooms/general/export' })).statusCode).to.equal(401)
    const missing = await f.app.inject({ method: 'GET', url: '/api/v1/rooms/nobody-here/export', headers: auth })
    expect([missing.statusCode, (missing.json() as { message: string }).message]).to.deep.equal([404, 'no room named nobody-here: a room exists once someone posted in it or joined it'])
  })

  it('should import an export into another room, once, with a dry run first, and refuse a bad record naming it', async () => {
    await post('src', 'alice', 'one')
    await post('src', 'bob', 'two')
    const body = (await f.app.inject({ method: 'GET', url: '/api/v1/rooms/src/export?format=ndjson', headers: auth })).body
    const send = (url: string, payload: string) => f.app.inject({ method: 'POST', url, payload, headers: { ...auth, 'content-type': 'application/x-ndjson' } })
    const dry = await send('/api/v1/rooms/dst/import?dryRun=true', body)
    expect(dry.statusCode, dry.body).to.equal(200)
    expect(dry.json()).to.deep.include({ dryRun: true, records: 2, added: 2, skipped: 0, firstSeq: 1, lastSeq: 2 })
    expect(await history('dst')).to.deep.equal([])
    expect((await send('/api/v1/rooms/dst/import?as=carol', body)).json()).to.deep.include({ added: 2, skipped: 0, watermark: 2 })
    expect((await send('/api/v1/rooms/dst/import', body)).json()).to.deep.include({ added: 0, skipped: 2 })
    expect((await history('dst')).map((m) => [m.user, m.text, m.importedFrom?.user])).to.deep.equal([['carol', 'one', 'alice'], ['carol', 'two', 'bob']])
    const bad = await send('/api/v1/rooms/other/import', body.replace('"user":"bob"', '"user":7'))
    expect(bad.statusCode).to.equal(400)
    expect(bad.json()).to.deep.include({ message: 'record 2: user: expected an author of 1 to 256 characters, got 7; nothing was imported' })
    expect(await history('other')).to.deep.equal([])
    // a JSON export goes in as well, under its own content type
    const json = (await f.app.inject({ method: 'GET', url: '/api/v1/rooms/src/export', headers: auth })).body
    const asJson = await f.app.inject({ method: 'POST', url: '/api/v1/rooms/third/import', payload: json, headers: { ...auth, 'content-type': 'application/json' } })
    expect(asJson.json()).to.deep.include({ added: 2 })
  })

  it('should export everything of one user, and their agent conversation', async () => {
    f.system.registerEntity(userAgent({ inference: new ScriptedInference(), sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 8 }, maxTokensLimit: 64 }))
    await post('r1', 'alice', 'mine')
    await post('r1', 'bob', 'not mine')
    const res = await f.app.inject({ method: 'GET', url: '/api/v1/users/alice/export?format=ndjson', headers: auth })
    expect(res.statusCode, res.body).to.equal(200)
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { kind: string, text?: string, room?: string })
    expect(lines[0]).to.include({ kind: 'user', name: 'alice' })
    expect(lines.filter((l) => l.kind === 'message')).to.deep.equal([{ seq: 1, kind: 'message', user: 'alice', ts: (lines[1] as { ts?: number }).ts, text: 'mine', room: 'r1' }])
    expect(lines.at(-1)).to.deep.include({ kind: 'settings' })
    const agent = await f.app.inject({ method: 'GET', url: '/api/v1/users/alice/agent/export?format=ndjson', headers: auth })
    expect(agent.body.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind)).to.deep.equal(['agent'])
    const turns = [
      JSON.stringify({ format: 'plexi-export/1', source: 'x/agent/bob/1', kind: 'agent', name: 'bob', exportedAt: 1, from: 1, to: 1, floor: 1 }),
      JSON.stringify({ seq: 1, kind: 'user-asked', ts: 10, requestId: 'r', text: 'why?' })].join('\n')
    const imported = await f.app.inject({ method: 'POST', url: '/api/v1/users/alice/agent/import', payload: turns, headers: { ...auth, 'content-type': 'application/x-ndjson' } })
    expect(imported.json()).to.deep.include({ kind: 'agent', added: 1 })
  })
})
