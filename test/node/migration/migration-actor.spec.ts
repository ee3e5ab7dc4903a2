import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { LoneRemoting } from '../../../node/mesh/lone-remoting.ts'
import { MIGRATION_PATH, Migrator, MoveRefusedError, adoptedPause, checkMoveResult, spawnMigrationActor } from '../../../node/migration/index.ts'
import type { MigrationMsg } from '../../../node/migration/index.ts'
import { kindOf } from '../../../protocols/index.ts'
import { OneNode, handOff, quiet, refusal, ticket } from './fixtures/one-node.ts'

// The /migration actor on a real actor system (one node, a local journal): what a peer may send it.
describe('migrationActor: requests from peers', () => {
  const node = new OneNode()
  beforeEach(async () => { await node.setup() })
  afterEach(async () => { await node.teardown() })

  it('should refuse malformed requests as invalid, and go on answering without a restart', async () => {
    const { system } = node
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
      const err = await refusal(node.ask(build))
      expect(err?.name, what).to.equal('InvalidPeerRequestError')
      expect(kindOf(err), what).to.equal('invalid')
      if (message !== undefined) expect(err?.message, what).to.match(message)
    }
    // a key the entity host refuses, and a type it does not know: refused, nothing activated
    expect((await refusal(node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'a/b', handOff, replyTo }))))?.name).to.equal('InvalidNameError')
    expect((await refusal(node.ask((replyTo) => ({ type: 'adopt', entityType: 'nope', key: 'r', handOff, replyTo }))))?.name).to.equal('UnknownEntityTypeError')
    expect(system.entities()).to.deep.equal([])
    expect(system.stats.restarts).to.equal(before.restarts)
    expect(system.stats.failures).to.equal(before.failures)
    // and it still answers: a claim of an entity not active here moves nothing
    const result = checkMoveResult(await node.ask((replyTo) => ({ type: 'claim', entityType: 'room', key: 'r', to: 'n2', replyTo })))
    expect(result.outcome).to.equal('not-active')
  })

  it('should refuse a hand-over of an entity whose role this node does not take now, activating nothing', async () => {
    const { system, placement } = node
    placement.update([{ peerId: 'n1', roles: ['storage'], capacity: 1 }])
    const err = await refusal(node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, replyTo })))
    expect(err).to.be.instanceOf(MoveRefusedError)
    expect(kindOf(err)).to.equal('conflict')
    expect(system.entities()).to.deep.equal([])
    // with the role, the same hand-over is taken and the room runs here; the answer says the pause
    // it measured: the old owner's part, the hop (by the wall clocks) and this node's part
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
    const paused = { ms: 7, at: Date.now() - 5 }
    const answer = await node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, paused, replyTo }))
    expect(adoptedPause(answer)).to.be.at.least(12)
    expect(system.entities('room').map((e) => e.key)).to.deep.equal(['r'])
    // a second hand-over of it is refused: it is active here
    expect((await refusal(node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'r', handOff, replyTo }))))?.name).to.equal('EntityAlreadyActiveError')
  })

  it('should start a leave once when asked, and only say where it stands when a job follows it (a node not leaving says so)', async () => {
    const system = new ActorSystem({ node: 'n1' })
    const port = system.attachRemoting(new LoneRemoting(node.placement))
    const requested: string[] = []
    const status = { mode: 'drain', state: 'moving', total: 3, entities: 3, moves: {}, left: [] } as const
    let leaving = false
    const migrator = new Migrator({
      system, port, placement: node.placement, live: () => true, busyMs: 1_000, graceMs: 100, concurrency: 4, log: quiet,
      leave: (mode) => { requested.push(mode); leaving = true; return status },
      leaving: () => leaving ? status : undefined
    })
    spawnMigrationActor(system, migrator)
    const ask = async (build: (replyTo: never) => unknown): Promise<unknown> =>
      await system.actorAt<MigrationMsg>({ node: 'n1', path: MIGRATION_PATH }).ask<unknown>((replyTo) => build(replyTo as never) as MigrationMsg, { timeout: 5_000 })
    // a job following a node that was restarted since it was asked: refused, and no new leave
    const err = await refusal(ask((replyTo) => ({ type: 'leave', mode: 'drain', follow: true, replyTo })))
    expect(err?.name).to.equal('NotLeavingError')
    expect(err?.message).to.match(/n1 is not leaving/)
    expect(requested).to.deep.equal([])
    expect(await ask((replyTo) => ({ type: 'leave', mode: 'drain', replyTo }))).to.deep.equal(status)
    expect(await ask((replyTo) => ({ type: 'leave', mode: 'drain', follow: true, replyTo }))).to.deep.equal(status)
    expect(requested).to.deep.equal(['drain'])
    await system.terminate()
  })

  it('should take a hand-over while another one still waits for its journal', async () => {
    const { system, held } = node
    let release!: () => void
    held.set('room/slow', new Promise<void>((resolve) => { release = resolve }))
    const slow = node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'slow', handOff, replyTo }))
    // one at a time, this one would wait for the slow one's journal: each move of a drain would
    // pause its entity for as long as every move ahead of it in the line took
    expect(await node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'fast', handOff, replyTo }))).to.equal('ok')
    release()
    expect(await slow).to.equal('ok')
    expect(system.entities().map((e) => e.key).sort()).to.deep.equal(['fast', 'slow'])
  })
})
