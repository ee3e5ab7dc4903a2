import { expect } from 'chai'
import { ActorSystem, chatRoom } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { Jobs } from '../../../node/jobs/index.ts'
import { LoneRemoting } from '../../../node/mesh/lone-remoting.ts'
import { INSPECTOR_PATH, MAX_MEMBERS_LISTED, checkMemberList, localActors, localEntity, nodeInspector } from '../../../node/mesh/node-inspector.ts'
import type { InspectorMsg, JournalHeads } from '../../../node/mesh/node-inspector.ts'
import { Placement } from '../../../node/mesh/placement.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { deferred } from '../../helpers/wait-for.ts'

describe('nodeInspector (a real actor system)', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let jobs: Jobs
  /** Journal heads as the replicated journal reports them: room/kept was written here, 3 records. */
  const heads: JournalHeads = { head: async (id) => id === 'room/kept' ? 3 : 0 }
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ node: 'n1', journal: await openLocalJournal(store) })
    system.registerEntity(chatRoom)
    const placement = new Placement('n1')
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
    system.attachRemoting(new LoneRemoting(placement))
    jobs = new Jobs({ node: 'n1' })
    system.spawn(nodeInspector(system, heads, () => ['n1', 'n2'], jobs), { name: INSPECTOR_PATH.slice(1), kind: 'inspector' })
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })
  const ask = async <R>(build: (replyTo: never) => unknown): Promise<R> =>
    await system.actorAt<InspectorMsg>({ node: 'n1', path: INSPECTOR_PATH }).ask<R>((replyTo) => build(replyTo as never) as InspectorMsg, { timeout: 5_000 })

  it('should list this node\'s actors, of one kind when asked, with each entity\'s key', async () => {
    await system.entity(chatRoom, 'general').ask((replyTo) => ({ type: 'info', replyTo }), { timeout: 5_000 })
    const all = await ask<Array<{ kind: string, key: string | null, node: string }>>((replyTo) => ({ type: 'actors', replyTo }))
    expect(all.map((a) => a.kind)).to.include.members(['inspector', 'room'])
    expect(all.find((a) => a.kind === 'room')).to.include({ key: 'general', node: 'n1' })
    expect(await ask((replyTo) => ({ type: 'actors', kind: 'inspector', replyTo }))).to.deep.equal(localActors(system, 'inspector'))
    // the entities alone when asked (the admin API's default listing)
    const entities = await ask<Array<{ kind: string, key: string | null }>>((replyTo) => ({ type: 'actors', entities: true, replyTo }))
    expect(entities).to.deep.equal(all.filter((a) => a.key !== null))
    expect(entities.map((a) => a.kind)).to.include('room')
  })

  it('should say an entity as this node holds it: active, journaled here, or null', async () => {
    expect(await ask((replyTo) => ({ type: 'entity', entityType: 'room', key: 'kept', replyTo }))).to.deep.equal({ type: 'room', key: 'kept', node: 'n1', active: false, status: null, mailbox: 0, seq: 3, role: 'chat' })
    expect(await ask((replyTo) => ({ type: 'entity', entityType: 'room', key: 'never', replyTo }))).to.equal(null)
    expect(await localEntity(system, heads, 'nope', 'x')).to.equal(null)
  })

  it('should say which members this node hears, as a list another node checks', async () => {
    const members = await ask<unknown>((replyTo) => ({ type: 'members', replyTo }))
    expect(checkMemberList(members)).to.deep.equal(['n1', 'n2'])
    for (const bad of [null, 'n1', [''], [5], Array.from({ length: MAX_MEMBERS_LISTED + 1 }, () => 'p'), ['x'.repeat(129)]]) {
      expect(() => checkMemberList(bad)).to.throw(/a member list is an array of peer ids/)
    }
  })

  it('should list this node\'s jobs, find one by id, and cancel one, answering once it stopped', async () => {
    const stopped = deferred<void>()
    const job = jobs.start('rebalance', null, async (control) => {
      await new Promise<void>((resolve) => { control.signal.addEventListener('abort', () => { resolve() }) })
      stopped.resolve()
      throw control.signal.reason
    })
    expect((await ask<Array<{ id: string }>>((replyTo) => ({ type: 'jobs', replyTo }))).map((j) => j.id)).to.deep.equal([job.id])
    expect((await ask<Array<{ id: string }>>((replyTo) => ({ type: 'jobs', id: job.id, replyTo }))).map((j) => j.id)).to.deep.equal([job.id])
    expect(await ask((replyTo) => ({ type: 'jobs', id: 'drain-1-zzzz', replyTo }))).to.deep.equal([])
    const cancelled = await ask<{ id: string, state: string } | null>((replyTo) => ({ type: 'cancel-job', id: job.id, replyTo }))
    await stopped.promise
    expect(cancelled?.id).to.equal(job.id)
    expect(cancelled?.state).to.not.equal('running')
    expect(await ask((replyTo) => ({ type: 'cancel-job', id: 'drain-1-zzzz', replyTo }))).to.equal(null)
  })

  it('should refuse a request that is not one as invalid, and go on answering', async () => {
    const refused = async (build: (replyTo: never) => unknown): Promise<Error | undefined> => await ask(build).then(() => undefined, (e: Error) => e)
    expect((await refused((replyTo) => ({ type: 'reboot', replyTo })))?.name).to.equal('InvalidPeerRequestError')
    expect((await refused((replyTo) => ({ type: 'jobs', id: '../etc', replyTo })))?.message).to.match(/jobs: id must be a job id/)
    expect((await refused((replyTo) => ({ type: 'cancel-job', id: 7, replyTo })))?.message).to.match(/cancel-job: id must be a job id/)
    expect(await ask((replyTo) => ({ type: 'members', replyTo }))).to.deep.equal(['n1', 'n2'])
  })
})
