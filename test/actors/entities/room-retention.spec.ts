import { expect } from 'chai'
import { ActorSystem, DAY_MS, chatRoom, erasureLog, roomDirectory, userDirectory } from '../../../actors/index.ts'
import type { ChatMessage, RetentionAck, RoomEvent, RoomInfo, RoomRetention } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { storeHits } from '../../helpers/store-scan.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { applyRetention, firstAtOrAfter } from '../../../actors/entities/room-retention.ts'
import type { RoomContext } from '../../../actors/entities/room-volatile.ts'

/** A room's context over `ts` (the events' times, seq 1 first), trimmed from `floor`. */
function fakeRoom (ts: number[]): { ctx: RoomContext, trims: number[], replies: unknown[], failures: Error[] } {
  const trims: number[] = []
  const replies: unknown[] = []
  const failures: Error[] = []
  let floor = 1
  const ctx = {
    key: 'r',
    durableSeq: ts.length,
    get floor () { return floor },
    async events (from: number, limit: number) {
      const out: Array<{ seq: number, event: RoomEvent }> = []
      for (let seq = Math.max(from, floor); seq <= ts.length && out.length < limit; seq++) out.push({ seq, event: { type: 'member-joined', user: 'a', ts: ts[seq - 1] as number } })
      return out
    },
    async trim (before: number) { trims.push(before); floor = before },
    reply (_to: unknown, value: unknown) { replies.push(value) },
    fail (_to: unknown, err: Error) { failures.push(err) }
  } as unknown as RoomContext
  return { ctx, trims, replies, failures }
}

const apply = async (room: ReturnType<typeof fakeRoom>, retention: RoomRetention, now: number): Promise<void> => {
  await applyRetention(room.ctx, { type: 'apply-retention', retention, now, replyTo: { node: 'n', path: '/x', id: 1 } as never })
}

describe('room retention', () => {
  it('should find the first record at or after a time by a binary search', async () => {
    const { ctx } = fakeRoom([10, 20, 20, 30, 40])
    expect(await firstAtOrAfter(ctx, 20, 1, 5)).to.equal(2)
    expect(await firstAtOrAfter(ctx, 25, 1, 5)).to.equal(4)
    expect(await firstAtOrAfter(ctx, 5, 1, 5)).to.equal(1)
    expect(await firstAtOrAfter(ctx, 50, 1, 5)).to.equal(6)
  })

  it('should keep the last N records when told posts', async () => {
    const room = fakeRoom([1, 2, 3, 4, 5, 6])
    await apply(room, { posts: 2 }, 100)
    expect(room.trims).to.deep.equal([5])
    expect(room.replies).to.deep.equal([{ room: 'r', floor: 5, dropped: 4 } satisfies RetentionAck])
  })

  it('should drop the records older than N days, and take the later cut when both are given', async () => {
    const now = 10 * DAY_MS
    const ts = [1 * DAY_MS, 3 * DAY_MS, 8 * DAY_MS, 9 * DAY_MS, 9.5 * DAY_MS]
    const days = fakeRoom(ts)
    await apply(days, { days: 5 }, now)
    expect(days.trims).to.deep.equal([3])
    const both = fakeRoom(ts)
    await apply(both, { days: 5, posts: 1 }, now)
    expect(both.trims).to.deep.equal([5])
  })

  it('should write nothing when the policy keeps everything held', async () => {
    const room = fakeRoom([1, 2, 3])
    await apply(room, { posts: 10 }, 100)
    expect(room.trims).to.deep.equal([])
    expect(room.replies).to.deep.equal([{ room: 'r', floor: 1, dropped: 0 }])
  })

  describe('on a real journal', () => {
    it('should drop the old records from the store, and history and info start at the floor', async () => {
      const dir = await tempDir()
      const store = await LevelStore.open(dir.path)
      const system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
      try {
        for (const type of [chatRoom, roomDirectory, userDirectory, erasureLog] as const) system.registerEntity(type as never)
        const room = system.entity(chatRoom, 'old')
        for (let i = 1; i <= 10; i++) await room.ask((replyTo) => ({ type: 'post', user: 'alice', text: `line ${i}!`, replyTo }))
        const ack = await room.ask<RetentionAck>((replyTo) => ({ type: 'apply-retention', retention: { posts: 3 }, now: Date.now(), replyTo }))
        expect(ack).to.deep.equal({ room: 'old', floor: 8, dropped: 7 })
        const history = await room.ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 100, replyTo }))
        expect(history.map((m) => m.seq)).to.deep.equal([8, 9, 10])
        expect((await room.ask<RoomInfo>((replyTo) => ({ type: 'info', replyTo }))).floor).to.equal(8)
        expect(await storeHits(store, 'line 1!')).to.equal(0)
        expect(await storeHits(store, 'line 9!')).to.equal(1)
        const again = await room.ask<RetentionAck>((replyTo) => ({ type: 'apply-retention', retention: { posts: 3 }, now: Date.now(), replyTo }))
        expect(again).to.deep.equal({ room: 'old', floor: 8, dropped: 0 })
      } finally {
        await system.terminate()
        await store.close()
        await dir.remove()
      }
    })
  })
})
