import { expect } from 'chai'
import { ROOM, chatRoom, roomDirectory, userAgent, userDirectory } from '../../../actors/index.ts'
import type { ChatMessage, PostAck } from '../../../actors/index.ts'
import { Exporter, Importer, exportText } from '../../../node/transfer/index.ts'
import type { ExportFormat } from '../../../protocols/index.ts'
import { ScriptedInference } from '../../helpers/grpc-services.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'

describe('Importer', () => {
  const local = useLocalEntities(entity(chatRoom), entity(roomDirectory), entity(userDirectory),
    entity(userAgent({ inference: new ScriptedInference(), sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 8 }, maxTokensLimit: 64 })))
  const room = (name: string) => local.system.entity(ROOM, name)
  const post = (name: string, user: string, text: string): Promise<PostAck> => room(name).ask<PostAck>((replyTo) => ({ type: 'post', user, text, replyTo }))
  const history = (name: string): Promise<ChatMessage[]> => room(name).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 1000, replyTo }))
  /** The export of a room as lines, in `format`. */
  const exported = async (name: string, format: ExportFormat = 'ndjson'): Promise<string[]> => {
    let text = ''
    for await (const chunk of exportText(await new Exporter({ system: local.system }).room(name), format, 64)) text += chunk
    return text.split('\n')
  }
  const linesOf = (lines: string[]) => async function * (): AsyncGenerator<string> { yield * lines }

  for (const format of ['json', 'ndjson'] as const) {
    it(`should import a room's ${format} export in batches, keeping authors and times, and add nothing the second time`, async () => {
      for (let i = 1; i <= 7; i++) await post('src', i % 2 === 0 ? 'bob' : 'alice', `m${i}`)
      await room('src').ask((replyTo) => ({ type: 'join', user: 'dan', replyTo }))
      const lines = await exported('src', format)
      const importer = new Importer({ system: local.system, batchPosts: 3 })
      const dry = await importer.import(linesOf(lines), { kind: 'room', name: 'dst' }, 'carol', { dryRun: true })
      expect(dry).to.deep.include({ dryRun: true, records: 8, added: 7, skipped: 0, notImportable: 1, firstSeq: 1, lastSeq: 7, batches: 3 })
      expect(await history('dst')).to.deep.equal([])
      const progress: number[] = []
      const first = await importer.import(linesOf(lines), { kind: 'room', name: 'dst' }, 'carol', { onProgress: (done) => progress.push(done) })
      expect(first).to.deep.include({ dryRun: false, added: 7, skipped: 0, watermark: 7, batches: 3 })
      expect(progress).to.deep.equal([3, 6, 8])
      const kept = await history('dst')
      expect(kept.map((m) => [m.user, m.text, m.importedFrom?.user, m.importedFrom?.seq])).to.deep.equal(
        [1, 2, 3, 4, 5, 6, 7].map((i) => ['carol', `m${i}`, i % 2 === 0 ? 'bob' : 'alice', i]))
      const second = await importer.import(linesOf(lines), { kind: 'room', name: 'dst' }, 'carol')
      expect(second).to.deep.include({ added: 0, skipped: 7 })
      expect((await history('dst')).length).to.equal(7)
    })
  }

  it('should read the export once when what it holds fits in memory, and again from the start when not, adding the same', async () => {
    for (let i = 1; i <= 9; i++) await post('big', 'alice', `post ${i} ${'x'.repeat(i * 10)}`)
    const lines = await exported('big')
    const reads: number[] = []
    const counted = () => { reads.push(reads.length); return linesOf(lines)() }
    const once = await new Importer({ system: local.system, batchPosts: 4 }).import(counted, { kind: 'room', name: 'kept' }, 'carol')
    expect(reads, 'reads of a small export').to.have.length(1)
    reads.length = 0
    // a budget under what the posts take: the check keeps none, the send reads the file again
    const twice = await new Importer({ system: local.system, batchPosts: 4, keptBytes: 500 }).import(counted, { kind: 'room', name: 'reread' }, 'carol')
    expect(reads, 'reads past the budget').to.have.length(2)
    for (const report of [once, twice]) expect(report).to.deep.include({ records: 9, added: 9, batches: 3, firstSeq: 1, lastSeq: 9 })
    expect((await history('reread')).map((m) => m.text)).to.deep.equal((await history('kept')).map((m) => m.text))
  })

  it('should refuse a malformed record naming its number and field, and write nothing', async () => {
    for (let i = 1; i <= 3; i++) await post('src', 'alice', `m${i}`)
    const lines = await exported('src')
    lines[2] = lines[2]?.replace('"text":"m2"', '"text":42') ?? ''
    const err = await new Importer({ system: local.system, batchPosts: 1 }).import(linesOf(lines), { kind: 'room', name: 'dst' }, 'carol').then(() => undefined, (e: unknown) => e as Error & { record?: number, field?: string })
    expect(err?.name).to.equal('ExportRecordError')
    expect([err?.record, err?.field]).to.deep.equal([2, 'text'])
    expect(err?.message).to.equal('record 2: text: expected text that is not empty, got 42; nothing was imported')
    expect(await history('dst')).to.deep.equal([])
  })

  it('should refuse an export of another kind than its target, and a cut JSON export', async () => {
    await post('src', 'alice', 'hi')
    const lines = await exported('src', 'json')
    const importer = new Importer({ system: local.system })
    const wrongKind = await importer.import(linesOf(lines), { kind: 'agent', name: 'alice' }, 'alice').then(() => undefined, (e: unknown) => e as Error)
    expect(wrongKind?.name).to.equal('ExportKindError')
    const cut = await importer.import(linesOf(lines.slice(0, 2)), { kind: 'room', name: 'dst' }, 'carol').then(() => undefined, (e: unknown) => e as Error)
    expect(cut?.message).to.match(/^record 2: \(end\): the JSON export ends before its records do/)
  })

  it('should send a batch again after a failure that passes (the watermark makes it safe), and give up on one that does not', async () => {
    for (let i = 1; i <= 4; i++) await post('src', 'alice', `m${i}`)
    const lines = await exported('src')
    let failures = 2
    const flaky = {
      entity: ((type: never, key: string) => {
        const real = local.system.entity(type, key)
        return {
          ask: async (make: never, options: never) => {
            if (failures-- > 0) throw Object.assign(new Error('no owner yet'), { name: 'NoOwnerError', kind: 'unavailable' })
            return await real.ask(make, options)
          }
        }
      }) as never
    }
    const report = await new Importer({ system: flaky, batchPosts: 2 }).import(linesOf(lines), { kind: 'room', name: 'dst' }, 'carol')
    expect(report).to.deep.include({ added: 4, batches: 2 })
    expect((await history('dst')).map((m) => m.text)).to.deep.equal(['m1', 'm2', 'm3', 'm4'])
    failures = 100
    const err = await new Importer({ system: flaky }).import(linesOf(lines), { kind: 'room', name: 'other' }, 'carol').then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).to.equal('NoOwnerError')
    const refused = { entity: (() => ({ ask: async () => { throw Object.assign(new Error('bad'), { name: 'InvalidMessageError', kind: 'invalid' }) } })) as never }
    failures = 0
    const tries: number[] = []
    const started = Date.now()
    await new Importer({ system: refused }).import(linesOf(lines), { kind: 'room', name: 'x' }, 'carol').catch(() => { tries.push(Date.now() - started) })
    expect(tries[0], 'a refusal is not tried again').to.be.below(100)
  })

  it('should import an agent export into another agent as its questions and answers', async () => {
    const agentExport = [
      JSON.stringify({ format: 'plexi-export/1', source: 'x/agent/bob/1', kind: 'agent', name: 'bob', exportedAt: 1, from: 1, to: 3, floor: 1 }),
      JSON.stringify({ seq: 1, kind: 'user-asked', ts: 10, requestId: 'r', text: 'why?' }),
      JSON.stringify({ seq: 2, kind: 'agent-answered', ts: 11, requestId: 'r', text: 'because', model: 'tiny', stopReason: 'eos' }),
      JSON.stringify({ seq: 3, kind: 'agent-configured', ts: 12, settings: {} })
    ]
    const report = await new Importer({ system: local.system }).import(linesOf(agentExport), { kind: 'agent', name: 'alice' }, 'alice')
    expect(report).to.deep.include({ added: 2, notImportable: 1, firstSeq: 1, lastSeq: 2 })
  })
})
