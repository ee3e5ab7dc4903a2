import { expect } from 'chai'
import { RETENTION, RETENTION_POLICY_KEY, ROOM } from '../../../actors/index.ts'
import type { ChatMessage, RoomRetention, RoomRetentionSetting } from '../../../actors/index.ts'
import { RetentionRunner, retentionOf } from '../../../node/erasure/index.ts'
import { ErasureRig } from '../../helpers/erasure-rig.ts'
import { storeHits } from '../../helpers/store-scan.ts'

describe('RetentionRunner', () => {
  let rig: ErasureRig
  beforeEach(async () => { rig = await new ErasureRig().open() })
  afterEach(async () => { await rig.close() })

  const set = async (room: string, setting: RoomRetentionSetting | null): Promise<void> => {
    await rig.system.entity(RETENTION, RETENTION_POLICY_KEY).ask((replyTo) => ({ type: 'set', room, setting, replyTo }))
  }
  const history = async (room: string): Promise<number[]> =>
    (await rig.system.entity(ROOM, room).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 100, replyTo }))).map((m) => m.seq)

  it('should take a room\'s own setting over the default, and keep everything for forever or no default', () => {
    const defaults: RoomRetention = { days: 30 }
    expect(retentionOf('a', { a: { posts: 5 } }, defaults)).to.deep.equal({ posts: 5 })
    expect(retentionOf('a', { a: 'forever' }, defaults)).to.equal(undefined)
    expect(retentionOf('b', { a: 'forever' }, defaults)).to.deep.equal(defaults)
    expect(retentionOf('b', {}, undefined)).to.equal(undefined)
  })

  it('should trim each room to its retention on the store, follow the default, and compact what it dropped', async () => {
    for (const room of ['own', 'default', 'kept']) for (let i = 1; i <= 6; i++) await rig.post(room, 'alice', `${room} line ${i}!`)
    await set('own', { posts: 2 })
    await set('kept', 'forever')
    const runner = new RetentionRunner({ system: rig.system, jobs: rig.jobs, defaults: () => ({ posts: 4 }), storageMembers: () => [rig.system.node] })
    const ended = await rig.jobs.settled(runner.start().id, 30_000)
    expect(ended?.state, ended?.error ?? '').to.equal('done')
    expect(ended?.message).to.equal('retention: 6 records dropped from 2 of 2 rooms with a retention (3 rooms)')
    expect(await history('own')).to.deep.equal([5, 6])
    expect(await history('default')).to.deep.equal([3, 4, 5, 6])
    expect(await history('kept')).to.deep.equal([1, 2, 3, 4, 5, 6])
    expect(await storeHits(rig.store, 'own line 1!')).to.equal(0)
    expect(await storeHits(rig.store, 'kept line 1!')).to.equal(1)
    expect(rig.compacted.length).to.be.above(0)
    const again = await rig.jobs.settled(runner.start().id, 30_000)
    expect(again?.message).to.match(/^retention: 0 records dropped/)
  })
})
