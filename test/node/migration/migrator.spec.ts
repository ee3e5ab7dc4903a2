import { expect } from 'chai'
import { ActorSystem, chatRoom } from '../../../actors/index.ts'
import type { Journal, RemotingPort } from '../../../actors/index.ts'
import { kindOf } from '../../../protocols/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { LoneRemoting } from '../../../node/mesh/lone-remoting.ts'
import { Placement } from '../../../node/mesh/placement.ts'
import { PinTable } from '../../../node/mesh/pins.ts'
import { MIGRATION_PATH, Migrator, MoveRefusedError, adoptedPause, checkMigrationMsg, checkMoveResult, spawnMigrationActor } from '../../../node/migration/index.ts'
import type { MigrationMsg } from '../../../node/migration/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined }

// The migrator's wait for a drain's moves, on a port whose releases end when the test says.
describe('migrator: waiting for the moves of a drain', () => {
  /** A port with `n` active rooms that placement gives to n2; each release waits its turn. */
  function slowPort (n: number): { port: RemotingPort, next: () => void } {
    const turns: Array<() => void> = []
    const port = {
      node: 'n1',
      roleOf: () => 'chat',
      activeEntities: () => Array.from({ length: n }, (_, i) => ['room', `r${i}`]),
      release: () => new Promise((resolve) => { turns.push(() => { resolve({ outcome: 'not-active' }) }) })
    } as unknown as RemotingPort
    return { port, next: () => { turns.shift()?.() } }
  }
  const placement = { ownerOf: () => 'n2', previousOwners: () => [], holds: () => true, pinOf: () => undefined }
  const migrator = (port: RemotingPort): Migrator =>
    new Migrator({ system: undefined as unknown as ActorSystem, port, placement, live: () => true, busyMs: 1_000, graceMs: 100, concurrency: 1, log: quiet })

  it('should wait for a drain longer than its bound as long as moves keep ending', async () => {
    const { port, next } = slowPort(4)
    const m = migrator(port)
    expect(m.rebalance('drain')).to.equal(4)
    const idle = m.idle(150)
    // four moves one after another, 100 ms each: 400 ms in all, never 150 ms without progress
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      next()
    }
    expect(await idle).to.equal(true)
  })

  it('should count a queued move as ended however it ended: by itself, by a claim that took it first, or no longer needed', async () => {
    const { port, next } = slowPort(3)
    const owners = new Map([['r0', 'n2'], ['r1', 'n2'], ['r2', 'n2']])
    const m = new Migrator({
      system: undefined as unknown as ActorSystem,
      port,
      placement: { ...placement, ownerOf: (_type: string, _role: string, key: string) => owners.get(key) ?? 'n2' },
      live: () => true,
      busyMs: 1_000,
      graceMs: 100,
      concurrency: 1,
      log: quiet
    })
    expect(m.rebalance('rebalance')).to.equal(3)
    // r0 is moving (one at a time); n2 claims r2 before its turn, and the view gives r1 back here
    const claimed = m.move('room', 'r2', 'n2', 'claim')
    owners.set('r1', 'n1')
    next()
    next()
    await claimed
    await m.idle(1_000)
    expect(m.pending).to.equal(0)
    expect(m.stats.queued.get('rebalance')).to.deep.equal({ ended: 3, failed: 0 })
    // the moves themselves count under the trigger that ran them
    expect(Object.fromEntries(m.stats.moves)).to.deep.equal({ 'rebalance/not-active': 1, 'claim/not-active': 1 })
  })

  it('should give up once no move ended for its bound', async () => {
    const { port } = slowPort(2)
    const m = migrator(port)
    m.rebalance('drain')
    const started = performance.now()
    expect(await m.idle(100)).to.equal(false)
    expect(performance.now() - started).to.be.within(90, 1_000)
    expect(m.pending).to.equal(2)
  })
})

// The /migration actor on a real actor system (one node, a local journal): what a peer may send it.
describe('migration actor: requests from peers', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let placement: Placement
  let port: RemotingPort
  let pins: PinTable
  let migrator: Migrator
  /** Entities whose journal takes until the test lets it (a slow fence round, held open). */
  let held: Map<string, Promise<void>>

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    const local = await openLocalJournal(store)
    held = new Map()
    const journal: Journal = {
      async open (entityId) {
        await held.get(entityId)
        return await local.open(entityId)
      }
    }
    system = new ActorSystem({ node: 'n1', journal, strictSerialization: true })
    system.registerEntity(chatRoom)
    placement = new Placement('n1')
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
    port = system.attachRemoting(new LoneRemoting(placement))
    pins = new PinTable()
    migrator = new Migrator({ system, port, placement, live: () => true, busyMs: 1_000, graceMs: 100, concurrency: 4, log: quiet, pins, announce: () => { placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1, pins: pins.map() }]) } })
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
  /** A well-formed journal ticket of room/r at seq 0 (what EntityLog.handOver hands over). */
  const ticket = { id: 't1', entity: 'room/r', epoch: 5, activation: 'a1', head: 0, committed: 0, sealed: 0, segments: [], writeQuorum: 1, replicas: [{ node: 'n1', match: 0 }], sources: [], tail: [] }

  it('should refuse malformed requests as invalid, and go on answering without a restart', async () => {
    const before = { restarts: system.stats.restarts, failures: system.stats.failures }
    const bad: Array<[string, (replyTo: never) => unknown, RegExp?]> = [
      ['an unknown type', (replyTo) => ({ type: 'teleport', entityType: 'room', key: 'r', to: 'n2', replyTo })],
      ['a claim with an unknown trigger', (replyTo) => ({ type: 'claim', entityType: 'room', key: 'r', to: 'n2', trigger: 'whim', replyTo })],
      ['a leave of no known mode', (replyTo) => ({ type: 'leave', mode: 'vanish', replyTo })],
      ['a leave followed by a word', (replyTo) => ({ type: 'leave', mode: 'drain', follow: 'yes', replyTo }), /follow: a boolean/],
      ['a migrate without a key', (replyTo) => ({ type: 'migrate', entityType: 'room', replyTo })],
      ['no entity type', (replyTo) => ({ type: 'claim', key: 'r', to: 'n2', replyTo })],
      ['an entity type too long', (replyTo) => ({ type: 'claim', entityType: 'x'.repeat(33), key: 'r', to: 'n2', replyTo })],
      ['an empty key', (replyTo) => ({ type: 'claim', entityType: 'room', key: '', to: 'n2', replyTo })],
      ['a claim for nobody', (replyTo) => ({ type: 'claim', entityType: 'room', key: 'r', to: 7, replyTo })],
      ['a hand-over without a state', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { seq: 0, snapshotSeq: 0, buffered: [] }, replyTo })],
      ['a hand-over at seq -1', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { ...handOff, seq: -1 }, replyTo })],
      ['a hand-over whose messages are not a list', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { ...handOff, buffered: 'x' }, replyTo })],
      ['a hand-over that is not an object', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: 5, replyTo })],
      ['a journal ticket that is not one', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { ...handOff, journal: { id: 't' } }, replyTo })],
      ['a journal ticket of another entity', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { ...handOff, journal: { ...ticket, entity: 'room/other' } }, replyTo }), /a ticket of room\/other, not of the entity moved/],
      ['a pause that is not one', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, paused: { ms: -1, at: 5 }, replyTo })],
      ['a pause without its time', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, paused: { ms: 1 }, replyTo })],
      ['a journal ticket whose head is not the seq handed over', (replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff: { ...handOff, journal: { ...ticket, head: 1, committed: 1, segments: [[5, 1]] } }, replyTo }), /its head 1 is not the seq handed over \(0\)/]
    ]
    for (const [what, build, message] of bad) {
      const err = await refusal(ask(build))
      expect(err?.name, what).to.equal('InvalidPeerRequestError')
      expect(kindOf(err), what).to.equal('invalid')
      if (message !== undefined) expect(err?.message, what).to.match(message)
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
    // with the role, the same hand-over is taken and the room runs here; the answer says the pause
    // it measured: the old owner's part, the hop (by the wall clocks) and this node's part
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
    const paused = { ms: 7, at: Date.now() - 5 }
    const answer = await ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, paused, replyTo }))
    expect(adoptedPause(answer)).to.be.at.least(12)
    expect(system.entities('room').map((e) => e.key)).to.deep.equal(['r'])
    // a second hand-over of it is refused: it is active here
    expect((await refusal(ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, replyTo }))))?.name).to.equal('EntityAlreadyActiveError')
  })

  it('should answer an admin\'s migration to where the entity already is without moving it, refuse unknown types and a leave it does not do, and drop pins of entities no longer active', async () => {
    const here = checkMoveResult(await ask((replyTo) => ({ type: 'migrate', entityType: 'room', key: 'r', replyTo })))
    expect(here).to.include({ outcome: 'not-active', from: 'n1', to: 'n1' })
    expect(here.why).to.match(/already on n1/)
    expect(pins.size, 'nothing active: nothing pinned').to.equal(0)
    expect((await refusal(ask((replyTo) => ({ type: 'migrate', entityType: 'nope', key: 'r', replyTo }))))?.name).to.equal('MoveRefusedError')
    expect((await refusal(ask((replyTo) => ({ type: 'leave', mode: 'drain', replyTo }))))?.name).to.equal('MoveRefusedError')
    // a pin whose entity is not active here: kept through its grace, then dropped (placement told)
    pins.pin('room', 'gone', 1, Date.now())
    expect(migrator.sweepPins(Date.now())).to.equal(false)
    expect(migrator.sweepPins(Date.now() + 16_000)).to.equal(true)
    expect(pins.size).to.equal(0)
  })

  it('should start a leave once when asked, and only say where it stands when a job follows it (a node not leaving says so)', async () => {
    await system.terminate()
    system = new ActorSystem({ node: 'n1' })
    port = system.attachRemoting(new LoneRemoting(placement))
    const requested: string[] = []
    const status = { mode: 'drain', state: 'moving', total: 3, entities: 3, moves: {}, left: [] } as const
    let leaving = false
    migrator = new Migrator({
      system, port, placement, live: () => true, busyMs: 1_000, graceMs: 100, concurrency: 4, log: quiet,
      leave: (mode) => { requested.push(mode); leaving = true; return status },
      leaving: () => leaving ? status : undefined
    })
    spawnMigrationActor(system, migrator)
    // a job following a node that was restarted since it was asked: refused, and no new leave
    const err = await refusal(ask((replyTo) => ({ type: 'leave', mode: 'drain', follow: true, replyTo })))
    expect(err?.name).to.equal('NotLeavingError')
    expect(err?.message).to.match(/n1 is not leaving/)
    expect(requested).to.deep.equal([])
    expect(await ask((replyTo) => ({ type: 'leave', mode: 'drain', replyTo }))).to.deep.equal(status)
    expect(await ask((replyTo) => ({ type: 'leave', mode: 'drain', follow: true, replyTo }))).to.deep.equal(status)
    expect(requested).to.deep.equal(['drain'])
  })

  it('should take a hand-over while another one still waits for its journal', async () => {
    let release!: () => void
    held.set('room/slow', new Promise<void>((resolve) => { release = resolve }))
    const slow = ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'slow', handOff, replyTo }))
    // one at a time, this one would wait for the slow one's journal: each move of a drain would
    // pause its entity for as long as every move ahead of it in the line took
    expect(await ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'fast', handOff, replyTo }))).to.equal('ok')
    release()
    expect(await slow).to.equal('ok')
    expect(system.entities().map((e) => e.key).sort()).to.deep.equal(['fast', 'slow'])
  })

  it('should move on an entity handed over here that its view gives to another node, once the view still says so a moment later', async () => {
    // n1's view: n2 holds chat too. The old owner moved these here on a view of its own
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }, { peerId: 'n2', roles: ['chat'], capacity: 1 }])
    const keys = Array.from({ length: 64 }, (_, i) => `k${i}`)
    const there = keys.find((k) => placement.ownerOf('room', 'chat', k) === 'n2') as string
    const back = keys.filter((k) => k !== there).find((k) => placement.ownerOf('room', 'chat', k) === 'n2') as string
    const here = keys.find((k) => placement.ownerOf('room', 'chat', k) === 'n1') as string
    for (const key of [there, back, here]) expect(await ask((replyTo) => ({ type: 'adopt', entityType: 'room', key, handOff, replyTo }))).to.equal('ok')
    // `back`: the view gives it to n1 before the recheck (views that disagreed for a moment agree)
    pins.pin('room', back, 1, Date.now())
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1, pins: pins.map() }, { peerId: 'n2', roles: ['chat'], capacity: 1 }])
    expect(placement.ownerOf('room', 'chat', back)).to.equal('n1')
    // the one still placed on n2 is moved there (n2 is not running here: the move fails, and the
    // entity leaves this node all the same, its messages sent on to n2)
    await waitFor(() => migrator.stats.moves.size > 0, 'the misplaced room to be moved on', { timeout: 10_000, interval: 20 })
    await migrator.idle(5_000)
    expect([...migrator.stats.moves.keys()]).to.deep.equal(['rebalance/failed'])
    expect(system.entities('room').map((e) => e.key).sort()).to.deep.equal([back, here].sort())
  })

  it('should check move results and requests field by field', () => {
    expect(() => checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'teleported', pauseMs: 1 })).to.throw(/not a move result/)
    expect(() => checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'moved', pauseMs: Number.NaN })).to.throw(/not a move result/)
    expect(() => checkMoveResult(null)).to.throw(/not a move result/)
    expect(checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'cold', pauseMs: 3, why: 'busy' })).to.deep.equal({ entity: 'room/r', from: 'a', to: 'b', outcome: 'cold', pauseMs: 3, why: 'busy' })
    expect(() => checkMigrationMsg('adopt')).to.throw(/an object/)
    // an adopt's answer: the pause measured, or nothing to take from it (the move stands)
    expect(adoptedPause({ pauseMs: 4.5 })).to.equal(4.5)
    expect(adoptedPause('ok')).to.equal(undefined)
    expect(adoptedPause({ pauseMs: -1 })).to.equal(undefined)
    expect(adoptedPause(null)).to.equal(undefined)
    expect(() => checkMigrationMsg({ type: 'claim', entityType: 'room', key: 'r', to: 'b' })).to.throw(/reply address/)
  })
})
