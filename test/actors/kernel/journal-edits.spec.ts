import { expect } from 'chai'
import { entityTypeKey } from '../../../actors/index.ts'
import type { ActorSystem, EntityType, ReplyTo } from '../../../actors/index.ts'
import type { LevelStore } from '../../../node/index.ts'
import { useEntityNode } from '../../helpers/kernel-entities.ts'

type NoteMsg =
  | { type: 'post', text: string, replyTo: ReplyTo<number> }
  | { type: 'redact', seq: number, replyTo: ReplyTo<null> }
  | { type: 'trim', before: number, replyTo: ReplyTo<number> }
  | { type: 'history', from: number, replyTo: ReplyTo<{ floor: number, seq: number, count: number, records: Array<{ seq: number, text: string }> }> }
type NoteEvent = { type: 'posted', text: string }
interface NoteState { readonly count: number }

/** Notes: each post an event; `redact` rewrites a post's text away; `trim` drops old records. */
function notesType (): EntityType<NoteMsg, NoteState, NoteEvent> {
  return {
    type: 'notes',
    role: 'storage',
    // never on its own schedule: only a trim saves one here
    snapshotEvery: 1_000_000,
    initialState: () => ({ count: 0 }),
    applyEvent: (state) => ({ count: state.count + 1 }),
    async receive (ctx, msg) {
      switch (msg.type) {
        case 'post':
          await ctx.persist({ type: 'posted', text: msg.text })
          ctx.reply(msg.replyTo, ctx.seq)
          return
        case 'redact':
          try {
            await ctx.rewrite([{ seq: msg.seq, event: { type: 'posted', text: '' } }])
            ctx.reply(msg.replyTo, null)
          } catch (err) {
            ctx.fail(msg.replyTo, err)
          }
          return
        case 'trim':
          try {
            await ctx.trim(msg.before)
            ctx.reply(msg.replyTo, ctx.floor)
          } catch (err) {
            ctx.fail(msg.replyTo, err)
          }
          return
        case 'history': {
          const records = await ctx.events(msg.from, 1000)
          ctx.reply(msg.replyTo, { floor: ctx.floor, seq: ctx.seq, count: ctx.state.count, records: records.map((r) => ({ seq: r.seq, text: r.event.text })) })
        }
      }
    }
  }
}

const NOTES = entityTypeKey<NoteMsg>('notes')
const post = async (system: ActorSystem, text: string): Promise<number> => await system.entity(NOTES, 'n').ask<number>((replyTo) => ({ type: 'post', text, replyTo }))
const history = async (system: ActorSystem, from = 1): Promise<{ floor: number, seq: number, count: number, records: Array<{ seq: number, text: string }> }> =>
  await system.entity(NOTES, 'n').ask((replyTo) => ({ type: 'history', from, replyTo }))

/** Whether any stored record value (the replica's records of every entity) holds `text`. */
async function stored (store: LevelStore, text: string): Promise<boolean> {
  for await (const [, value] of store.range({ gte: 'r\x00', lte: 'r\x00\xff' })) if (Buffer.from(value).includes(text)) return true
  return false
}

/** How many records of the entities are stored. */
async function records (store: LevelStore): Promise<number> {
  let n = 0
  for await (const entry of store.range({ gte: 'r\x00', lte: 'r\x00\xff' })) n += entry.length > 0 ? 1 : 0
  return n
}

// ctx.rewrite, ctx.trim, ctx.floor on node/'s real journal (one node, R = 1)
describe('Journal edits (ctx.rewrite, ctx.trim)', () => {
  const node = useEntityNode()

  it('should replace a durable record so that neither reads nor the store hold its old event, across a restart', async () => {
    let system = await node.open([notesType()])
    for (const text of ['alpha-secret', 'bravo-secret', 'charlie-secret']) await post(system, text)
    await system.entity(NOTES, 'n').ask((replyTo) => ({ type: 'redact', seq: 2, replyTo }))
    expect((await history(system)).records).to.deep.equal([{ seq: 1, text: 'alpha-secret' }, { seq: 2, text: '' }, { seq: 3, text: 'charlie-secret' }])
    expect(await stored(node.store, 'bravo-secret')).to.equal(false)
    expect(await stored(node.store, 'alpha-secret')).to.equal(true)
    system = await node.open([notesType()])
    const after = await history(system)
    expect(after.records.map((r) => r.text)).to.deep.equal(['alpha-secret', '', 'charlie-secret'])
    expect(after.count).to.equal(3)
    expect(await post(system, 'delta')).to.equal(4)
  })

  it('should drop the records below a trim, read from the floor, and recover the whole state from the snapshot after a restart', async () => {
    let system = await node.open([notesType()])
    for (let i = 1; i <= 6; i++) await post(system, `note-${i}-text`)
    expect(await system.entity(NOTES, 'n').ask((replyTo) => ({ type: 'trim', before: 4, replyTo }))).to.equal(4)
    const h = await history(system)
    expect(h.floor).to.equal(4)
    expect(h.records.map((r) => r.seq)).to.deep.equal([4, 5, 6])
    expect(await stored(node.store, 'note-3-text')).to.equal(false)
    expect(await records(node.store)).to.equal(3)
    system = await node.open([notesType()])
    const after = await history(system, 2)
    expect(after).to.deep.include({ floor: 4, seq: 6, count: 6 })
    expect(after.records.map((r) => r.seq)).to.deep.equal([4, 5, 6])
    expect(await post(system, 'seven')).to.equal(7)
    // a trim at or below the floor does nothing
    expect(await system.entity(NOTES, 'n').ask((replyTo) => ({ type: 'trim', before: 2, replyTo }))).to.equal(4)
  })

  it('should trim a journal whole and go on from its head after a restart', async () => {
    let system = await node.open([notesType()])
    for (let i = 1; i <= 3; i++) await post(system, `whole-${i}`)
    expect(await system.entity(NOTES, 'n').ask((replyTo) => ({ type: 'trim', before: 4, replyTo }))).to.equal(4)
    expect(await records(node.store)).to.equal(0)
    system = await node.open([notesType()])
    expect(await history(system)).to.deep.include({ floor: 4, seq: 3, count: 3, records: [] })
    expect(await post(system, 'again')).to.equal(4)
    expect((await history(system)).records).to.deep.equal([{ seq: 4, text: 'again' }])
  })

  it('should refuse a rewrite of a seq that is not durable or was trimmed, and a trim past the durable head', async () => {
    const system = await node.open([notesType()])
    for (let i = 1; i <= 3; i++) await post(system, `x-${i}`)
    const refused = async (msg: (replyTo: ReplyTo<unknown>) => NoteMsg): Promise<string> => {
      try {
        await system.entity(NOTES, 'n').ask(msg)
        return 'done'
      } catch (err) {
        return (err as Error).name
      }
    }
    expect(await refused((replyTo) => ({ type: 'redact', seq: 4, replyTo }))).to.equal('JournalEditError')
    expect(await refused((replyTo) => ({ type: 'trim', before: 5, replyTo }))).to.equal('JournalEditError')
    await system.entity(NOTES, 'n').ask((replyTo) => ({ type: 'trim', before: 3, replyTo }))
    expect(await refused((replyTo) => ({ type: 'redact', seq: 2, replyTo }))).to.equal('JournalEditError')
    expect(await stored(node.store, 'x-3')).to.equal(true)
  })
})
