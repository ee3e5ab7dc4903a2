import { expect } from 'chai'
import { ROOMS, ROOM_DIRECTORY_KEY, checkRoomDirectoryMsg, createPlainCodec, roomDirectory } from '../../../actors/index.ts'
import type { EntityTypeKey, RoomDirectoryState, RoomSummary } from '../../../actors/index.ts'
import { entriesOf } from '../../../actors/entities/paged-buckets.ts'
import { roomDirectoryMessage } from '../../helpers/entity-messages.ts'
import { entity, useLocalEntities } from '../../helpers/local-entities.ts'
import { handlesWhatItsCheckPasses } from '../../helpers/message-check-tests.ts'

describe('roomDirectory (real LevelDB journal)', () => {
  const node = useLocalEntities(entity(roomDirectory))

  it('should take registrations in the directory side by side, answering each once durable and a repeat false, and list them all', async () => {
    const directory = node.system.entity(roomDirectory, 'all')
    const register = (name: string): Promise<boolean> => directory.ask<boolean>((replyTo) => ({ type: 'register', name, by: 'alice', ts: 1, replyTo }))
    const names = Array.from({ length: 40 }, (_, i) => `burst-${String(i).padStart(2, '0')}`)
    // each name twice at once: the repeat comes while the first is still being written
    const answers = await Promise.all(names.flatMap((name) => [register(name), register(name)]))
    expect(answers).to.deep.equal(names.flatMap(() => [true, false]))
    const listing = directory.ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))
    expect(await register('burst-00')).to.equal(false)
    expect((await listing).map((r) => r.name)).to.deep.equal(names)
    await node.restart()
    expect((await node.system.entity(roomDirectory, 'all').ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))).map((r) => r.name)).to.deep.equal(names)
  })

  it('should answer the same list again while nothing changed, and a new one with a room registered after it', async () => {
    const directory = node.system.entity(roomDirectory, 'all')
    const list = (): Promise<RoomSummary[]> => directory.ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))
    const register = (name: string): Promise<boolean> => directory.ask<boolean>((replyTo) => ({ type: 'register', name, by: 'alice', ts: 1, replyTo }))
    expect(await register('b')).to.equal(true)
    const first = await list()
    expect(await list(), 'nothing changed: the list made once').to.equal(first)
    expect(Object.isFrozen(first)).to.equal(true)
    expect(await register('a')).to.equal(true)
    expect((await list()).map((r) => r.name)).to.deep.equal(['a', 'b'])
    expect(first.map((r) => r.name), 'an answer already given stays as it was').to.deep.equal(['b'])
  })

  it('should refuse a malformed registration before it is journaled, and never restart', async () => {
    const directory = node.system.entity(ROOMS, ROOM_DIRECTORY_KEY)
    const err = await directory.ask<boolean>((replyTo) => ({ type: 'register', name: 'a/b', by: 'alice', ts: 1, replyTo })).catch((e: Error) => e)
    expect(err).to.have.property('name', 'InvalidMessageError')
    expect(await directory.ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))).to.deep.equal([])
    expect(await node.journal.head(`${ROOMS.type}/${ROOM_DIRECTORY_KEY}`)).to.equal(0)
    expect(node.system.stats.restarts).to.equal(0)
  })

  it('should handle every message its check passes without crashing, and refuse the rest before it sees them', async function () {
    this.timeout(120_000)
    await handlesWhatItsCheckPasses(node.system, ROOMS as EntityTypeKey<unknown>, checkRoomDirectoryMsg, roomDirectoryMessage(), () => ROOM_DIRECTORY_KEY, (replyTo) => ({ type: 'list', replyTo }))
  })

  it('should round-trip its messages and state through msgpackr', () => {
    const codec = createPlainCodec()
    const replyTo = { askId: '1', node: 'n' }
    const state = roomDirectory.applyEvent(roomDirectory.initialState('all'), { type: 'room-created', name: 'general', by: 'alice', ts: 1 }, 1)
    for (const value of [{ type: 'register', name: 'general', by: 'alice', ts: 1, replyTo }, state]) {
      expect(codec.decode(codec.encode(value))).to.deep.equal(value)
    }
  })

  it('should read a directory kept in the older flat shape ({ rooms }), as a snapshot may hold it, and go on from it', () => {
    const older = { rooms: { general: { createdAt: 1, createdBy: 'alice' }, random: { createdAt: 2, createdBy: 'bob' } } } as unknown as RoomDirectoryState
    const next = roomDirectory.applyEvent(older, { type: 'room-created', name: 'news', by: 'carol', ts: 3 }, 3)
    expect(next.count).to.equal(3)
    expect(Array.from(entriesOf(next)).sort()).to.deep.equal([['general', { createdAt: 1, createdBy: 'alice' }], ['news', { createdAt: 3, createdBy: 'carol' }], ['random', { createdAt: 2, createdBy: 'bob' }]])
    const every = roomDirectory.snapshotEvery as (state: RoomDirectoryState) => number
    expect(every(older), 'a snapshot after as many events as it holds rooms, at least 1,000').to.equal(1_000)
    expect(every({ ...next, count: 5_000 })).to.equal(5_000)
  })

  it('should answer and list from a directory recovered from an older flat snapshot', async () => {
    const key = 'older'
    // its journal as a directory written before this shape left it: one event, and a snapshot of
    // the flat state after it
    const journal = await node.journal.open(`${ROOMS.type}/${key}`)
    await journal.append([{ seq: 1, event: { type: 'room-created', name: 'general', by: 'alice', ts: 1 } }])
    await journal.saveSnapshot({ seq: 1, state: { rooms: { general: { createdAt: 1, createdBy: 'alice' } } } })
    journal.close()
    await node.restart()
    const again = node.system.entity(roomDirectory, key)
    expect(await again.ask<boolean>((replyTo) => ({ type: 'register', name: 'general', by: 'bob', ts: 2, replyTo }))).to.equal(false)
    expect(await again.ask<boolean>((replyTo) => ({ type: 'register', name: 'news', by: 'bob', ts: 2, replyTo }))).to.equal(true)
    expect((await again.ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))).map((r) => r.name)).to.deep.equal(['general', 'news'])
  })
})
