import { expect } from 'chai'
import { ActorSystem, MAX_IMPORT_SOURCES, chatRoom, erasureLog, roomDirectory, userDirectory } from '../../../actors/index.ts'
import type { ChatMessage, ExportHead, ImportOutcome, PostAck, RoomEvent, RoomState, TransferPage } from '../../../actors/index.ts'
import type { ImportItem } from '../../../protocols/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import type { ReplicatedJournal } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('room-transfer', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let journal: ReplicatedJournal

  async function open (): Promise<void> {
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: journal = await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(chatRoom)
    system.registerEntity(roomDirectory)
    system.registerEntity(userDirectory)
    system.registerEntity(erasureLog)
  }
  async function close (): Promise<void> {
    await system.terminate()
    await store.close()
  }
  beforeEach(async () => {
    dir = await tempDir()
    await open()
  })
  afterEach(async () => {
    await close()
    await dir.remove()
  })

  const room = (name: string) => system.entity(chatRoom, name)
  const post = (name: string, user: string, text: string): Promise<PostAck> => room(name).ask<PostAck>((replyTo) => ({ type: 'post', user, text, replyTo }))
  const page = (name: string, after: number, limit: number): Promise<TransferPage<RoomEvent>> =>
    room(name).ask<TransferPage<RoomEvent>>((replyTo) => ({ type: 'export-page', after, limit, replyTo }))
  const importInto = (name: string, source: string, posts: ImportItem[], dryRun = false): Promise<ImportOutcome> =>
    room(name).ask<ImportOutcome>((replyTo) => ({ type: 'import', user: 'carol', source, posts, dryRun, replyTo }))
  const history = (name: string): Promise<ChatMessage[]> => room(name).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 1000, replyTo }))
  const items = (from: number, to: number): ImportItem[] => Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, user: 'bob', text: `post ${from + i}`, ts: 1000 + from + i }))

  it('should read the journal as stored, page by page, with the head and the floor', async () => {
    for (let i = 1; i <= 5; i++) await post('r', 'alice', `m${i}`)
    await room('r').ask((replyTo) => ({ type: 'join', user: 'bob', replyTo }))
    const first = await page('r', 0, 4)
    expect(first.records.map((r) => r.seq)).to.deep.equal([1, 2, 3, 4])
    expect(first.records[0]?.event).to.include({ type: 'message-posted', user: 'alice', text: 'm1' })
    expect([first.head, first.floor, first.redacted]).to.deep.equal([6, 1, []])
    const rest = await page('r', 4, 100)
    expect(rest.records.map((r) => r.event.type)).to.deep.equal(['message-posted', 'member-joined'])
    expect((await page('r', 6, 100)).records).to.deep.equal([])
  })

  it('should say where an export may read it: its head, floor and redacted posts, and how much of it a node holds in its replica', async () => {
    for (let i = 1; i <= 5; i++) await post('r', 'alice', `m${i}`)
    await room('r').ask((replyTo) => ({ type: 'redact', user: 'alice', seq: 2, replyTo }))
    const head = (reader: string): Promise<ExportHead> => room('r').ask<ExportHead>((replyTo) => ({ type: 'export-head', reader, replyTo }))
    // this node's journal is its own replica: it holds every durable record; another node none
    expect(await head(journal.self)).to.deep.equal({ head: 6, floor: 1, redacted: [[2, 2]], held: 6 })
    expect(await head('12D3KooWsomeOtherNode')).to.deep.equal({ head: 6, floor: 1, redacted: [[2, 2]], held: 0 })
  })

  it('should answer a page as JSON lines when asked, cut at its byte budget of JSON, a record too large for it as itself', async () => {
    await post('r', 'alice', 'plain')
    await post('r', 'bob', '\u0001'.repeat(500_000))
    await post('r', 'carol', 'after')
    const json = (after: number): Promise<TransferPage<RoomEvent>> => room('r').ask<TransferPage<RoomEvent>>((replyTo) => ({ type: 'export-page', after, limit: 10, json: true, replyTo }))
    const first = await json(0)
    // the second record's JSON is 3 MB of \u0001 escapes: it does not go with the first
    expect([first.records, first.first, first.lines?.map((l) => (JSON.parse(l) as { text: string }).text)]).to.deep.equal([[], 1, ['plain']])
    const big = await json(1)
    expect([big.lines, big.records.map((r) => r.seq)]).to.deep.equal([undefined, [2]])
    expect((await json(2)).lines?.map((l) => JSON.parse(l) as unknown)).to.deep.equal([{ seq: 3, kind: 'message', user: 'carol', ts: (JSON.parse((await json(2)).lines?.[0] ?? '{}') as { ts: number }).ts, text: 'after' }])
  })

  it('should cut a page at its byte budget, but never below one record', async () => {
    const big = 'x'.repeat(900_000)
    for (let i = 0; i < 4; i++) await post('r', 'alice', big)
    expect((await page('r', 0, 10)).records.length).to.equal(2)
    expect((await page('r', 3, 10)).records.length).to.equal(1)
  })

  it('should append an import in one batch as the importer, keeping author, time and seq there, and skip what it took before', async () => {
    await post('r', 'alice', 'already here')
    const dry = await importInto('r', 'src-1', items(1, 3), true)
    expect(dry).to.deep.equal({ added: 3, skipped: 0, firstSeq: 1, lastSeq: 3, watermark: 3, head: 1 })
    expect((await history('r')).length, 'a dry run writes nothing').to.equal(1)
    expect(await importInto('r', 'src-1', items(1, 3))).to.deep.equal({ added: 3, skipped: 0, firstSeq: 1, lastSeq: 3, watermark: 3, head: 4 })
    const again = await importInto('r', 'src-1', items(2, 5))
    expect(again).to.deep.equal({ added: 2, skipped: 2, firstSeq: 4, lastSeq: 5, watermark: 5, head: 6 })
    expect(await importInto('r', 'src-1', items(1, 5))).to.deep.equal({ added: 0, skipped: 5, watermark: 5, head: 6 })
    const all = await history('r')
    expect(all.map((m) => [m.seq, m.user, m.text])).to.deep.equal([
      [1, 'alice', 'already here'], [2, 'carol', 'post 1'], [3, 'carol', 'post 2'], [4, 'carol', 'post 3'], [5, 'carol', 'post 4'], [6, 'carol', 'post 5']])
    expect(all[1]?.importedFrom).to.deep.equal({ source: 'src-1', seq: 1, user: 'bob', ts: 1001 })
    // another source has its own watermark
    expect((await importInto('r', 'src-2', items(1, 1))).added).to.equal(1)
  })

  it('should keep its watermarks across a restart (they are rebuilt from the journal)', async () => {
    await importInto('r', 'src', items(1, 10))
    await close()
    await open()
    expect(await importInto('r', 'src', items(5, 12))).to.include({ added: 2, skipped: 6, watermark: 12 })
  })

  it('should register a room that starts with an import in the room directory', async () => {
    await importInto('fresh', 'src', items(1, 1))
    const rooms = await system.entity(roomDirectory, 'all').ask<Array<{ name: string }>>((replyTo) => ({ type: 'list', replyTo }))
    expect(rooms.map((r) => r.name)).to.include('fresh')
  })

  it('should refuse a new source past the most sources it keeps, and take more of a known one', async () => {
    for (let s = 0; s < MAX_IMPORT_SOURCES; s++) await importInto('r', `s${s}`, items(1, 1))
    const err = await importInto('r', 'one-more', items(1, 1)).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).to.equal('ImportSourcesFullError')
    expect((await importInto('r', 's0', items(2, 2))).added).to.equal(1)
  })
})
