import { expect } from 'chai'
import { AGENT, ROOM, chatRoom, erasureLog, roomDirectory, userAgent, userDirectory } from '../../../actors/index.ts'
import type { PostAck } from '../../../actors/index.ts'
import { Exporter, exportText, recordsOf } from '../../../node/transfer/index.ts'
import type { LocalRecords } from '../../../node/transfer/index.ts'
import { kindOf } from '../../../protocols/index.ts'
import type { ExportRecord } from '../../../protocols/index.ts'
import { ScriptedInference } from '../../helpers/grpc-services.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

describe('Exporter', () => {
  const local = useLocalEntities(entity(chatRoom), entity(roomDirectory), entity(userDirectory), entity(erasureLog),
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

  describe('reading this node\'s own replica', () => {
    /** This node's replica as an exporter reads it, every read counted; `change` may alter what it
     * gives back (a stale copy, one that lost records). */
    const replica = (change: (records: Array<{ seq: number, event: unknown }>) => Array<{ seq: number, event: unknown }> = (r) => r): { local: LocalRecords, reads: number[] } => {
      const reads: number[] = []
      const node = local.journal.self
      return {
        reads,
        local: {
          node,
          read: async (entity, from, limit) => {
            reads.push(from)
            return change(await local.journal.call(node, { op: 'read', entity, from, limit }))
          }
        }
      }
    }
    const text = async (exporter: Exporter, room: string): Promise<string> => {
      let out = ''
      for await (const chunk of exportText(await exporter.room(room, { json: true }), 'ndjson')) out += chunk
      return out.replace(/"exportedAt":\d+/, '')
    }

    it('should export from it what the room says it holds, the same export as the owner\'s pages give', async () => {
      for (let i = 1; i <= 17; i++) await post('general', 'alice', `m${i}`)
      await local.system.entity(ROOM, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'bob', text: 'm18 "q" é\n', replyTo }))
      const { local: own, reads } = replica()
      const fromReplica = await text(new Exporter({ system: local.system, local: own, pageRecords: 5, pagesInFlight: 2 }), 'general')
      const fromOwner = await text(new Exporter({ system: local.system, pageRecords: 5, pagesInFlight: 2 }), 'general')
      expect(fromReplica).to.equal(fromOwner)
      expect(reads.length, 'reads of the replica').to.be.greaterThan(2)
      // the records as objects (Markdown) come from it too
      let md = ''
      for await (const chunk of exportText(await new Exporter({ system: local.system, local: own }).room('general'), 'md')) md += chunk
      expect(md).to.include('m18 "q" é')
    })

    it('should make the same export from the bytes its store keeps as the owner\'s pages give, in json and ndjson, whatever the records hold', async () => {
      const texts = ['plain', 'a "quote", a \\ and a tab\t', 'é ü 日本 😀', 'control \u0001\u001f\b\f\r\n', 'x'.repeat(70_000), '']
      for (const [i, t] of texts.entries()) await local.system.entity(ROOM, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: i % 2 === 0 ? 'alice' : 'bob', text: t === '' ? 'last' : t, ...(i % 3 !== 2 && { clientId: `c-${i}` }), replyTo }))
      await local.system.entity(ROOM, 'general').ask((replyTo) => ({ type: 'join', user: 'carol', replyTo }))
      await local.system.entity(ROOM, 'general').ask((replyTo) => ({ type: 'redact', user: 'alice', seq: 1, replyTo }))
      for (let i = 0; i < 30; i++) await post('general', 'carol', `after-${i}`)
      const reads: number[] = []
      const node = local.journal.self
      const packed: LocalRecords = {
        node,
        read: async () => { throw new Error('the packed records are read, not these') },
        readPacked: async (entity, from, limit) => { reads.push(from); return await local.journal.readPacked(entity, from, limit) },
        packedEvent: (entity, record) => local.journal.packedEvent(entity, record)
      }
      for (const format of ['json', 'ndjson'] as const) {
        const exported = async (exporter: Exporter): Promise<string> => {
          let out = ''
          for await (const chunk of exportText(await exporter.room('general', { json: true, framing: format }), format)) out += chunk
          return out.replace(/"exportedAt":\d+/, '"exportedAt":0')
        }
        const fromStore = await exported(new Exporter({ system: local.system, local: packed, pageRecords: 7, pagesInFlight: 2 }))
        const fromOwner = await exported(new Exporter({ system: local.system, pageRecords: 7, pagesInFlight: 2 }))
        expect(fromStore, format).to.equal(fromOwner)
        expect(fromStore).to.include('"text":"é ü 日本 😀"').and.include('"seq":1,"kind":"message","user":"alice"')
        if (format === 'json') expect((JSON.parse(fromStore) as { records: unknown[] }).records).to.have.length(38)
      }
      expect(reads.length, 'reads of the store').to.be.greaterThan(4)
    })

    it('should leave out a redacted post\'s text even where the replica still holds it (a rewrite that has not reached it)', async () => {
      await post('general', 'alice', 'keep')
      await post('general', 'alice', 'SECRET')
      expect(await text(new Exporter({ system: local.system }), 'general')).to.include('"text":"SECRET"')
      await local.system.entity(ROOM, 'general').ask((replyTo) => ({ type: 'redact', user: 'alice', seq: 2, replyTo }))
      // a stale copy: the post as it was before the redaction rewrote it
      const stale = replica((records) => records.map((r) => r.seq === 2 ? { seq: 2, event: { ...(r.event as object), text: 'SECRET', redacted: undefined } } : r))
      const out = await text(new Exporter({ system: local.system, local: stale.local }), 'general')
      expect(stale.reads.length).to.be.greaterThan(0)
      expect(out).to.not.include('"text":"SECRET"')
      expect(out).to.include('"seq":2,"kind":"message","user":"alice"')
      expect(out).to.include('"redacted":true')
    })

    it('should ask the owner for what the replica does not give (records trimmed or moved away since), and read nothing of a room that holds none here', async () => {
      for (let i = 1; i <= 12; i++) await post('general', 'bob', `m${i}`)
      const expected = await text(new Exporter({ system: local.system }), 'general')
      // a replica that lost everything from seq 4 on
      const lost = replica((records) => records.filter((r) => r.seq < 4))
      expect(await text(new Exporter({ system: local.system, local: lost.local, pageRecords: 5 }), 'general')).to.equal(expected)
      // a replica that fails outright
      const failing: LocalRecords = { node: local.journal.self, read: async () => { throw new Error('disk gone') } }
      expect(await text(new Exporter({ system: local.system, local: failing }), 'general')).to.equal(expected)
      // a node the room knows no replica on
      const elsewhere = replica()
      expect(await text(new Exporter({ system: local.system, local: { ...elsewhere.local, node: '12D3KooWnotAReplica' } }), 'general')).to.equal(expected)
      expect(elsewhere.reads).to.deep.equal([])
    })
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
