import { expect } from 'chai'
import { ActorSystem, chatRoom } from '../../../actors/index.ts'
import type { RemotingPort } from '../../../actors/index.ts'
import { kindOf } from '../../../protocols/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { LoneRemoting } from '../../../node/mesh/lone-remoting.ts'
import { Placement } from '../../../node/mesh/placement.ts'
import { MIGRATION_PATH, Migrator, MoveRefusedError, checkMigrationMsg, checkMoveResult, spawnMigrationActor } from '../../../node/migration/index.ts'
import type { MigrationMsg } from '../../../node/migration/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined }

// The /migration actor on a real actor system (one node, a local journal): what a peer may send it.
describe('migration actor: requests from peers', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let placement: Placement
  let port: RemotingPort

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ node: 'n1', journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(chatRoom)
    placement = new Placement('n1')
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
    port = system.attachRemoting(new LoneRemoting(placement))
    const migrator = new Migrator({ system, port, placement, live: () => true, busyMs: 1_000, graceMs: 100, concurrency: 4, log: quiet })
    spawnMigrationActor(system, migrator)
  })

  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const ask = (build: (replyTo: never) => unknown): Promise<unknown> =>
    system.actorAt<MigrationMsg>({ node: 'n1', path: MIGRATION_PATH }).ask<unknown>((replyTo) => build(replyTo as never) as MigrationMsg, { timeout: 5_000 })
  const refusal = async (p: Promise<unknown>): Promise<Error | undefined> => await p.then(() => undefined, (e: unknown) => e as Error)
  const handOff = { state: chatRoom.initialState('r'), seq: 0, snapshotSeq: 0, volatile: undefined, buffered: [] }

  it('should refuse malformed requests as invalid, and go on answering without a restart', async () => {
    const before = { restarts: system.stats.restarts, failures: system.stats.failures }
    const bad: Array<[string, (replyTo: never) => unknown]> = [
      ['an unknown type', (replyTo) => ({ type: 'migrate', entityType: 'room', key: 'r', to: 'n2', replyTo })],
      ['no entity type', (replyTo) => ({ type: 'claim', key: 'r', to: 'n2', replyTo })],
      ['an entity type too long', (replyTo) => ({ type: 'claim', entityType: 'x'.repeat(33), key: 'r', to: 'n2', replyTo })],
      ['an empty key', (replyTo) => ({ type: 'claim', entityType: 'room', key: '', to: 'n2', replyTo })],
      ['a claim for nobody', (replyTo) => ({ type: 'claim', entityType: 'room', key: 'r', to: 7, replyTo })],
      ['a hand-over without a state', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { seq: 0, snapshotSeq: 0, buffered: [] }, replyTo })],
      ['a hand-over at seq -1', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { ...handOff, seq: -1 }, replyTo })],
      ['a hand-over whose messages are not a list', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { ...handOff, buffered: 'x' }, replyTo })],
      ['a hand-over that is not an object', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: 5, replyTo })]
    ]
    for (const [what, build] of bad) {
      const err = await refusal(ask(build))
      expect(err?.name, what).to.equal('InvalidPeerRequestError')
      expect(kindOf(err), what).to.equal('invalid')
    }
    // a key the entity host refuses, and a type it does not know: refused, nothing activated
    expect((await refusal(ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'a/b', handOff, replyTo }))))?.name).to.equal('InvalidNameError')
    expect((await refusal(ask((replyTo) => ({ type: 'adopt', entityType: 'nope', key: 'r', handOff, replyTo }))))?.name).to.equal('UnknownEntityTypeError')
    expect(system.entities()).to.deep.equal([])
    expect(system.stats.restarts).to.equal(before.restarts)
    expect(system.stats.failures).to.equal(before.failures)
    // and it still answers: a claim of an entity not active here moves nothing
    const result = checkMoveResult(await ask((replyTo) => ({ type: 'claim', entityType: 'room', key: 'r', to: 'n2', replyTo })))
    expect(result.outcome).to.equal('not-active')
  })

  it('should refuse a hand-over of an entity whose role this node does not take now, activating nothing', async () => {
    placement.update([{ peerId: 'n1', roles: ['storage'], capacity: 1 }])
    const err = await refusal(ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, replyTo })))
    expect(err).to.be.instanceOf(MoveRefusedError)
    expect(kindOf(err)).to.equal('conflict')
    expect(system.entities()).to.deep.equal([])
    // with the role, the same hand-over is taken and the room runs here
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
    expect(await ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, replyTo }))).to.equal('ok')
    expect(system.entities('room').map((e) => e.key)).to.deep.equal(['r'])
    // a second hand-over of it is refused: it is active here
    expect((await refusal(ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, replyTo }))))?.name).to.equal('EntityAlreadyActiveError')
  })

  it('should check move results and requests field by field', () => {
    expect(() => checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'teleported', pauseMs: 1 })).to.throw(/not a move result/)
    expect(() => checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'moved', pauseMs: Number.NaN })).to.throw(/not a move result/)
    expect(() => checkMoveResult(null)).to.throw(/not a move result/)
    expect(checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'cold', pauseMs: 3, why: 'busy' })).to.deep.equal({ entity: 'room/r', from: 'a', to: 'b', outcome: 'cold', pauseMs: 3, why: 'busy' })
    expect(() => checkMigrationMsg('adopt')).to.throw(/an object/)
    expect(() => checkMigrationMsg({ type: 'claim', entityType: 'room', key: 'r', to: 'b' })).to.throw(/reply address/)
  })
})
