import { expect } from 'chai'
import { ActorSystem, ERASURES, ERASURE_LOG_KEY, erasureLog } from '../../../actors/index.ts'
import type { ErasedUser, ErasureLogView } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('erasureLog', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem

  async function open (): Promise<void> {
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(erasureLog)
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

  const log = () => system.entity(ERASURES, ERASURE_LOG_KEY)
  const view = (): Promise<ErasureLogView> => log().ask<ErasureLogView>((replyTo) => ({ type: 'view', replyTo }))

  it('should keep erased users and redacted posts (as ranges per room) across a restart', async () => {
    const entry = await log().ask<ErasedUser>((replyTo) => ({ type: 'note-erasure', name: 'alice', by: 'admin', replyTo }))
    expect(entry).to.include({ name: 'alice', by: 'admin' })
    for (const seq of [3, 4, 5, 9]) await log().ask<void>((replyTo) => ({ type: 'note-redaction', room: 'general', seq, replyTo }))
    await log().ask<void>((replyTo) => ({ type: 'note-redaction', room: 'general', seq: 4, replyTo }))
    await system.terminate()
    await open()
    const v = await view()
    expect(v.users.map((u) => u.name)).to.deep.equal(['alice'])
    expect(v.redactions).to.deep.equal({ general: [[3, 5], [9, 9]] })
  })

  it('should refuse a malformed note before it is journaled', async () => {
    const err = await log().ask((replyTo) => ({ type: 'note-redaction', room: 'general', seq: 0, replyTo })).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('InvalidMessageError')
    expect((await view()).redactions).to.deep.equal({})
  })
})
