import { expect } from 'chai'
import { ActorSystem, RETENTION, RETENTION_POLICY_KEY, retentionPolicy } from '../../../actors/index.ts'
import type { RetentionSettings, RoomRetentionSetting } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('retentionPolicy', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem

  async function open (): Promise<void> {
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(retentionPolicy)
  }
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    await open()
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const policy = () => system.entity(RETENTION, RETENTION_POLICY_KEY)
  const set = (room: string, setting: RoomRetentionSetting | null): Promise<RetentionSettings> =>
    policy().ask<RetentionSettings>((replyTo) => ({ type: 'set', room, setting, replyTo }))

  it('should keep each room\'s own setting, forget it on null, and keep them across a restart', async () => {
    await set('general', { days: 30 })
    await set('random', 'forever')
    await set('ops', { posts: 100, days: 7 })
    expect(await set('random', null)).to.deep.equal({ general: { days: 30 }, ops: { posts: 100, days: 7 } })
    await system.terminate()
    await open()
    expect(await policy().ask<RetentionSettings>((replyTo) => ({ type: 'get', replyTo }))).to.deep.equal({ general: { days: 30 }, ops: { posts: 100, days: 7 } })
  })

  it('should refuse a setting that keeps nothing or is not whole, changing nothing', async () => {
    for (const setting of [{}, { days: 0 }, { posts: 1.5 }, { days: 1, extra: 1 }, 'always']) {
      const err = await set('general', setting as never).then(() => undefined, (e: Error) => e)
      expect(err?.name, JSON.stringify(setting)).to.equal('InvalidMessageError')
    }
    expect(await policy().ask<RetentionSettings>((replyTo) => ({ type: 'get', replyTo }))).to.deep.equal({})
  })
})
