import { expect } from 'chai'
import { journalFloor, rewriteRecords, trimJournal } from '../../../actors/entities/journal-edits.ts'
import type { RoomContext } from '../../../actors/entities/room-volatile.ts'

describe('journal edits', () => {
  const post = { type: 'message-posted' as const, user: 'alice', text: '', ts: 1 }

  it('should hand rewrites and trims to a kernel that offers them, and read its floor', async () => {
    const calls: unknown[] = []
    const ctx = {
      floor: 7,
      async rewrite (records: unknown) { calls.push(['rewrite', records]) },
      async trim (before: number) { calls.push(['trim', before]) }
    } as unknown as RoomContext
    expect(journalFloor(ctx)).to.equal(7)
    expect(await rewriteRecords(ctx, [{ seq: 8, event: post }])).to.equal(true)
    expect(await trimJournal(ctx, 9)).to.equal(true)
    expect(calls).to.deep.equal([['rewrite', [{ seq: 8, event: post }]], ['trim', 9]])
  })

  it('should say false, and floor 1, for a kernel without journal edits', async () => {
    const ctx = {} as unknown as RoomContext
    expect(journalFloor(ctx)).to.equal(1)
    expect(await rewriteRecords(ctx, [{ seq: 1, event: post }])).to.equal(false)
    expect(await trimJournal(ctx, 2)).to.equal(false)
  })

  it('should not call the kernel for an empty rewrite', async () => {
    const ctx = { async rewrite () { throw new Error('called') } } as unknown as RoomContext
    expect(await rewriteRecords(ctx, [])).to.equal(true)
  })
})
