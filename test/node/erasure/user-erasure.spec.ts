import { expect } from 'chai'
import { ERASURES, ERASURE_LOG_KEY } from '../../../actors/index.ts'
import type { ChatMessage, ErasureLogView } from '../../../actors/index.ts'
import { UserErasure } from '../../../node/erasure/index.ts'
import { ErasureRig } from '../../helpers/erasure-rig.ts'
import { storeHits } from '../../helpers/store-scan.ts'

describe('UserErasure', () => {
  let rig: ErasureRig
  beforeEach(async () => { rig = await new ErasureRig().open() })
  afterEach(async () => { await rig.close() })

  const erasure = (toolPolicy?: ConstructorParameters<typeof UserErasure>[0]['toolPolicy']): UserErasure => new UserErasure({
    system: rig.system, jobs: rig.jobs, users: rig.users, toolPolicy, members: () => [rig.system.node], storageMembers: () => [rig.system.node]
  })

  it('should redact every post of the user in every room, leave no text in the store, revoke the token, and log it', async () => {
    const { token } = await rig.users.add('alice')
    await rig.users.add('bob')
    for (let i = 0; i < 12; i++) await rig.post(`room-${i % 3}`, i % 4 === 0 ? 'bob' : 'alice', `said ${i} #`)
    const revoked: string[] = []
    const job = erasure({ view: async () => ({ granted: ['web__*'] }), revoke: async (_u, tools) => { revoked.push(...tools) } }).start('alice', 'admin')
    const ended = await rig.jobs.settled(job.id, 30_000)
    expect(ended?.state, ended?.error ?? '').to.equal('done')
    expect(ended?.message).to.match(/erased alice: 9 posts redacted in 3 of 3 rooms \(3 asked\), 3 agent turns and 1 KV caches removed/)
    for (let i = 0; i < 12; i++) expect(await storeHits(rig.store, `said ${i} #`), `post ${i}`).to.equal(i % 4 === 0 ? 1 : 0)
    expect(await rig.users.authenticate(token)).to.equal(undefined)
    expect(rig.agentsErased).to.deep.equal(['alice'])
    expect(rig.kvForgotten).to.deep.equal(['agent/alice'])
    expect(revoked).to.deep.equal(['web__*'])
    expect(rig.compacted.length).to.be.above(0)
    const history = await rig.system.entity({ type: 'room' } as never, 'room-1').ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 100, replyTo }))
    expect(history.filter((m) => m.kind === 'message' && m.user === 'alice').every((m) => m.redacted === true && m.text === '')).to.equal(true)
    const log = await rig.system.entity(ERASURES, ERASURE_LOG_KEY).ask<ErasureLogView>((replyTo) => ({ type: 'view', replyTo }))
    expect(log.users.map((u) => [u.name, u.by])).to.deep.equal([['alice', 'admin']])
  })

  it('should be harmless to run again, and erase a user no longer in the directory', async () => {
    await rig.users.add('carol')
    await rig.post('r', 'carol', 'one')
    const first = await rig.jobs.settled(erasure().start('carol', 'admin').id, 30_000)
    expect(first?.state).to.equal('done')
    const again = await rig.jobs.settled(erasure().start('carol', 'admin').id, 30_000)
    expect(again?.state, again?.error ?? '').to.equal('done')
    expect(again?.message).to.match(/0 posts redacted in 1 of 1 rooms/)
  })

  it('should fail, listing what failed, when a member cannot be reached, having done the rest', async () => {
    await rig.post('ok', 'dan', 'dan-wrote-this')
    const failing = new UserErasure({
      system: rig.system, jobs: rig.jobs, users: rig.users, members: () => [rig.system.node, 'nowhere'], storageMembers: () => []
    })
    const ended = await rig.jobs.settled(failing.start('dan', 'admin').id, 90_000)
    expect(ended?.state).to.equal('failed')
    expect(ended?.error).to.match(/kv-cache on nowhere/)
    expect(await storeHits(rig.store, 'dan-wrote-this')).to.equal(0)
  })

  it('should ask only the rooms the indexes name, and every room when they cannot say', async () => {
    for (let i = 0; i < 4; i++) await rig.post(`room-${i}`, 'erin', `erin ${i} #`)
    let answer: { rooms: string[] } | { unknown: string } | Error = { rooms: ['room-0', 'room-2'] }
    const asked: string[] = []
    const erasure = new UserErasure({
      system: rig.system,
      jobs: rig.jobs,
      users: rig.users,
      members: () => [rig.system.node],
      storageMembers: () => [rig.system.node],
      touchedRooms: async (user) => { asked.push(user); if (answer instanceof Error) throw answer; return answer }
    })
    const first = await rig.jobs.settled(erasure.start('erin', 'admin').id, 30_000)
    expect(first?.message).to.match(/erased erin: 2 posts redacted in 2 of 4 rooms \(2 asked\)/)
    // (the answer here is made up: rooms it leaves out keep their posts, which shows they were not asked)
    expect(await Promise.all([0, 1, 2, 3].map(async (i) => await storeHits(rig.store, `erin ${i} #`)))).to.deep.equal([0, 1, 0, 1])
    answer = { unknown: 'c is not up' }
    const second = await rig.jobs.settled(erasure.start('erin', 'admin').id, 30_000)
    expect(second?.message).to.match(/erased erin: 2 posts redacted in 4 of 4 rooms \(4 asked\)/)
    answer = new Error('no quorum')
    const third = await rig.jobs.settled(erasure.start('erin', 'admin').id, 30_000)
    expect(third?.message).to.match(/0 posts redacted in 4 of 4 rooms \(4 asked\)/)
    expect(asked).to.deep.equal(['erin', 'erin', 'erin'])
    expect(await Promise.all([0, 1, 2, 3].map(async (i) => await storeHits(rig.store, `erin ${i} #`)))).to.deep.equal([0, 0, 0, 0])
  })

  it('should refuse a name that is not a user name before starting', () => {
    expect(() => erasure().start('Not A Name', 'admin')).to.throw(/user name/)
  })
})
