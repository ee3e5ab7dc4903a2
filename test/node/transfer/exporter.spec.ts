import { expect } from 'chai'
import { AGENT, ROOM, chatRoom, roomDirectory, userAgent, userDirectory } from '../../../actors/index.ts'
import type { PostAck } from '../../../actors/index.ts'
import { Exporter, exportText, recordsOf } from '../../../node/transfer/index.ts'
import { kindOf } from '../../../protocols/index.ts'
import type { ExportRecord } from '../../../protocols/index.ts'
import { ScriptedInference } from '../../helpers/grpc-services.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

describe('Exporter', () => {
  const local = useLocalEntities(entity(chatRoom), entity(roomDirectory), entity(userDirectory),
    entity(userAgent({ inference: new ScriptedInference(), sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 8 }, maxTokensLimit: 64 })))
  const post = (room: string, user: string, text: string): Promise<PostAck> =>
    local.system.entity(ROOM, room).ask<PostAck>((replyTo) => ({ type: 'post', user, text, clientId: `c-${text}`, replyTo }))
  const all = async (records: AsyncIterable<ExportRecord>): Promise<ExportRecord[]> => {
    const out: ExportRecord[] = []
    for await (const r of records) out.push(r)
    return out
  }

  it('should export every record of a room in order across pages read ahead, with a header that says what it holds', async () => {
    for (let i = 1; i <= 23; i++) await post('general', i % 2 === 0 ? 'bob' : 'alice', `m${i}`)
    await local.system.entity(ROOM, 'general').ask((replyTo) => ({ type: 'join', user: 'carol', replyTo }))
    const exporter = new Exporter({ system: local.system, clusterId: 'c1', pageRecords: 5, pagesInFlight: 3 })
    const stream = await exporter.room('general')
    expect(stream.header).to.include({ format: 'plexi-export/1', kind: 'room', name: 'general', from: 1, to: 24, floor: 1 })
    expect(stream.header.source).to.match(/^c1\/room\/general\/\d+$/)
    const records = await all(recordsOf(stream))
    expect(records.map((r) => r.seq)).to.deep.equal(Array.from({ length: 24 }, (_, i) => i + 1))
    expect(records[0]).to.deep.equal({ seq: 1, kind: 'message', user: 'alice', ts: records[0]?.ts, text: 'm1', clientId: 'c-m1' })
    expect(records[23]).to.include({ kind: 'join', user: 'carol' })
    expect(stream.progress()).to.deep.equal({ done: 24, total: 24 })
    // the same room exported again has the same source (an import of it adds only what is new)
    expect((await exporter.room('general')).header.source).to.equal(stream.header.source)
  })

  it('should export an agent conversation as its events, and everything of a user', async () => {
    await local.system.entity(AGENT, 'alice').ask((replyTo) => ({ type: 'configure', user: 'alice', change: { persona: 'terse' }, replyTo }))
    await post('r1', 'alice', 'a1')
    await post('r1', 'bob', 'b1')
    await post('r2', 'bob', 'b2')
    const exporter = new Exporter({ system: local.system })
    const agent = await exporter.agent('alice')
    expect(agent.header).to.include({ kind: 'agent', name: 'alice', from: 1, to: 1 })
    expect((await all(recordsOf(agent))).map((r) => r.kind)).to.deep.equal(['agent-configured'])
    const user = await exporter.user('alice')
    expect(user.header).to.include({ kind: 'user', name: 'alice' })
    const records = await all(recordsOf(user))
    expect(records.map((r) => [r.kind, 'room' in r ? r.room : 'agent' in r ? 'agent' : '-'])).to.deep.equal([['message', 'r1'], ['agent-configured', 'agent'], ['settings', '-']])
  })

  it('should write the same export from the room\'s JSON lines as from its records, across pages', async () => {
    for (let i = 1; i <= 13; i++) {
      // one post whose JSON is larger than a page's budget: it comes as a record, not a line
      const text = i === 6 ? '\u0001'.repeat(400_000) : `m${i} "quoted" é\n`
      await local.system.entity(ROOM, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text, replyTo }))
    }
    const exporter = new Exporter({ system: local.system, pageRecords: 4, pagesInFlight: 2 })
    for (const format of ['json', 'ndjson'] as const) {
      let fromRecords = ''
      for await (const chunk of exportText(await exporter.room('general'), format)) fromRecords += chunk
      let fromLines = ''
      const fast = await exporter.room('general', { json: true })
      for await (const chunk of exportText(fast, format)) fromLines += chunk
      const strip = (text: string): string => text.replace(/"exportedAt":\d+/, '')
      expect(strip(fromLines), format).to.equal(strip(fromRecords))
      expect(fast.progress()).to.deep.equal({ done: 13, total: 13 })
    }
    expect(() => recordsOf({ header: {} as never, progress: () => ({ done: 0, total: 0 }), lines: [] as never })).to.throw(TypeError)
  })

  it('should refuse to export a room nobody posted in (a misspelt name), as not found', async () => {
    const err = await new Exporter({ system: local.system }).room('nobody-here').then(() => undefined, (e: unknown) => e as Error)
    expect([err?.name, kindOf(err)]).to.deep.equal(['NoSuchRoomError', 'not-found'])
  })
})

describe('Exporter without agents', () => {
  const local = useLocalEntities(entity(chatRoom), entity(roomDirectory), entity(userDirectory))

  it('should say in a user\'s export that the cluster runs no agents, and still export their posts', async () => {
    await local.system.entity(ROOM, 'r').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    const records: ExportRecord[] = []
    for await (const r of recordsOf(await new Exporter({ system: local.system }).user('alice'))) records.push(r)
    expect(records.map((r) => r.kind)).to.deep.equal(['message', 'agent-unavailable'])
    expect(records[1]).to.have.property('reason').that.matches(/unknown entity type "agent"/)
  })
})
