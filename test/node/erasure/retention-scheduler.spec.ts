import { expect } from 'chai'
import { RETENTION, RETENTION_POLICY_KEY, ROOM } from '../../../actors/index.ts'
import type { ChatMessage, RoomRetention, RoomRetentionSetting } from '../../../actors/index.ts'
import { RetentionRunner, RetentionScheduler } from '../../../node/erasure/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { ErasureRig } from '../../helpers/erasure-rig.ts'

describe('RetentionScheduler', () => {
  let rig: ErasureRig
  beforeEach(async () => { rig = await new ErasureRig().open() })
  afterEach(async () => { await rig.close() })

  const log = { info: () => undefined, warn: () => undefined, debug: () => undefined }
  const set = async (room: string, setting: RoomRetentionSetting | null): Promise<void> => {
    await rig.system.entity(RETENTION, RETENTION_POLICY_KEY).ask((replyTo) => ({ type: 'set', room, setting, replyTo }))
  }
  const history = async (room: string): Promise<number[]> =>
    (await rig.system.entity(ROOM, room).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 100, replyTo }))).map((m) => m.seq)

  it('should start the retention job on the elected member when a retention applies and none runs, and only then', async () => {
    for (let i = 1; i <= 5; i++) await rig.post('ops', 'alice', `line ${i}`)
    let defaults: RoomRetention | undefined
    let elected = false
    const runner = new RetentionRunner({ system: rig.system, jobs: rig.jobs, defaults: () => defaults, storageMembers: () => [rig.system.node] })
    const scheduler = new RetentionScheduler({
      system: rig.system, everyMs: 86_400_000, defaults: () => defaults, elected: () => elected,
      running: () => rig.jobs.running('retention').length, start: () => runner.start(), failures: new ServiceFailures(), log
    })
    expect(await scheduler.due()).to.equal('not this member')
    elected = true
    // no default, and no room's own (a room kept forever is none)
    await set('archive', 'forever')
    expect(await scheduler.due()).to.equal('no retention')
    await set('ops', { posts: 2 })
    const job = await scheduler.due()
    if (typeof job === 'string') throw new Error(`no job: ${job}`)
    expect(await scheduler.due(), 'one at a time').to.equal('running')
    expect((await rig.jobs.settled(job.id, 30_000))?.state).to.equal('done')
    expect(await history('ops')).to.deep.equal([4, 5])
    // the cluster's default alone is a retention too
    await set('ops', null)
    defaults = { posts: 1 }
    const next = await scheduler.due()
    if (typeof next === 'string') throw new Error(`no job: ${next}`)
    expect((await rig.jobs.settled(next.id, 30_000))?.state).to.equal('done')
    expect(await history('ops')).to.deep.equal([5])
  })
})
