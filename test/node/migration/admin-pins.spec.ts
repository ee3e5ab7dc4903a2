import { expect } from 'chai'
import { AskTimeoutError, chatRoom } from '../../../actors/index.ts'
import type { ActorSystem } from '../../../actors/index.ts'
import { AdminPins, PIN_GRACE_MS, checkMoveResult } from '../../../node/migration/index.ts'
import type { MoveResult } from '../../../node/migration/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { OneNode, handOff, quiet, refusal } from './fixtures/one-node.ts'

describe('AdminPins (one node, a real actor system)', () => {
  const node = new OneNode()
  beforeEach(async () => { await node.setup() })
  afterEach(async () => { await node.teardown() })

  it('should answer an admin\'s migration to where the entity already is without moving it, refuse unknown types and a leave it does not do, and drop pins of entities no longer active', async () => {
    const { placement, pins, migrator } = node
    const here = checkMoveResult(await node.ask((replyTo) => ({ type: 'migrate', entityType: 'room', key: 'r', replyTo })))
    expect(here).to.include({ outcome: 'not-active', from: 'n1', to: 'n1' })
    expect(here.why).to.match(/already on n1/)
    expect(pins.size, 'nothing active: nothing pinned').to.equal(0)
    expect((await refusal(node.ask((replyTo) => ({ type: 'migrate', entityType: 'nope', key: 'r', replyTo }))))?.name).to.equal('MoveRefusedError')
    expect((await refusal(node.ask((replyTo) => ({ type: 'leave', mode: 'drain', replyTo }))))?.name).to.equal('MoveRefusedError')
    // a pin whose entity is not active here: kept through its grace, then dropped (placement told)
    pins.pin('room', 'gone', 1, Date.now())
    expect(migrator.sweepPins(Date.now())).to.equal(false)
    expect(migrator.sweepPins(Date.now() + 16_000)).to.equal(true)
    expect(pins.size).to.equal(0)
  })

  it('should refuse an admin\'s migration of an unknown type, or while the node stops, pinning nothing', async () => {
    const adminPins = new AdminPins({ system: node.system, port: node.port, placement: node.placement, pins: node.pins, busyMs: 1_000, graceMs: 100, moving: () => false, failures: new ServiceFailures(), log: quiet })
    expect((await refusal(adminPins.migrateHere('nope', 'r', false)))?.message).to.match(/there is no entity type nope/)
    expect((await refusal(adminPins.migrateHere('room', 'r', true)))?.message).to.match(/this node is stopping/)
    expect(node.pins.size).to.equal(0)
  })

  it('should pin an entity active here that it is asked to take, and keep the pins of entities active or moving through the sweep', async () => {
    // handed over here just now (what an admin's migration finds when it already came)
    expect(await node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key: 'busy', handOff, replyTo }))).to.equal('ok')
    let announced = 0
    const adminPins = new AdminPins({ system: node.system, port: node.port, placement: node.placement, pins: node.pins, announce: () => { announced++ }, busyMs: 1_000, graceMs: 100, moving: (id) => id === 'room/moving', failures: new ServiceFailures(), log: quiet })
    // asked twice at once (an admin's job asking again after its link broke): one migration, joined
    const [here, again] = await Promise.all([adminPins.migrateHere('room', 'busy', false), adminPins.migrateHere('room', 'busy', false)])
    expect(again, 'the second ask joined the first').to.equal(here)
    expect(checkMoveResult(here)).to.include({ outcome: 'not-active', from: 'n1', to: 'n1' })
    expect(node.pins.get('room', 'busy')?.n).to.equal(1)
    expect(announced).to.equal(1)
    node.pins.pin('room', 'moving', 1, 0)
    node.pins.pin('room', 'gone', 1, 0)
    expect(adminPins.sweep(PIN_GRACE_MS + 1)).to.equal(true)
    expect(node.pins.list().map((p) => p.key).sort()).to.deep.equal(['busy', 'moving'])
    expect(announced).to.equal(2)
  })

  it('should call an admin\'s migration done when the entity was handed over here though the old owner\'s answer was lost or said it failed, and failed when it was not', async () => {
    // n0 owns the rooms in this view; n1 (this node) takes chat too
    node.placement.update([{ peerId: 'n0', roles: ['chat'], capacity: 1 }, { peerId: 'n1', roles: ['chat'], capacity: 1 }])
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`).filter((k) => node.placement.ownerOf('room', 'chat', k) === 'n0').slice(0, 3)
    expect(keys).to.have.length(3)
    const [lost, saidFailed, notTaken] = keys as [string, string, string]
    // the old owner n0, as this node's claim reaches it: it hands the entity over here (or not),
    // and then its answer is lost (a timeout) or says the move failed (its adopt timed out)
    const oldOwner = (answer: (key: string) => Promise<unknown>): ActorSystem => ({
      actorAt: () => ({ ask: async (build: (replyTo: unknown) => { key: string }) => await answer(build({ askId: 'x', node: 'n1' }).key) })
    }) as unknown as ActorSystem
    const handOver = async (key: string): Promise<void> => {
      expect(await node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key, handOff: { state: chatRoom.initialState(key), seq: 0, snapshotSeq: 0, volatile: undefined, buffered: [] }, replyTo }))).to.equal('ok')
    }
    const failed = (key: string): MoveResult => ({ entity: `room/${key}`, from: 'n0', to: 'n1', outcome: 'failed', pauseMs: 0, why: 'AskTimeoutError: no reply from /migration within 15000 ms' })
    const pins = (system: ActorSystem): AdminPins => new AdminPins({ system, port: node.port, placement: node.placement, pins: node.pins, busyMs: 1_000, graceMs: 100, moving: () => false, failures: new ServiceFailures(), log: quiet })

    const answerLost = await pins(oldOwner(async (key) => { await handOver(key); throw new AskTimeoutError('/migration', 59_000) })).migrateHere('room', lost, false)
    expect(answerLost).to.include({ outcome: 'moved', from: 'n0', to: 'n1' })
    expect(answerLost.why).to.match(/its hand-off was taken here, but n0 did not see it taken: AskTimeoutError/)
    const failedAnswer = await pins(oldOwner(async (key) => { await handOver(key); return failed(key) })).migrateHere('room', saidFailed, false)
    expect(failedAnswer).to.include({ outcome: 'moved', from: 'n0', to: 'n1' })
    // a hand-off that never came here is still a failed migration
    const notHere = await pins(oldOwner(async (key) => failed(key))).migrateHere('room', notTaken, false)
    expect(notHere).to.include({ outcome: 'failed', from: 'n0', to: 'n1' })
    const noAnswer = await pins(oldOwner(async () => { throw new AskTimeoutError('/migration', 59_000) })).migrateHere('room', notTaken, false)
    expect(noAnswer).to.include({ outcome: 'failed' })
  })

  it('should call an admin\'s migration cold when the old owner\'s hand-off was refused here because the entity was active here already, from its journal', async () => {
    node.placement.update([{ peerId: 'n0', roles: ['chat'], capacity: 1 }, { peerId: 'n1', roles: ['chat'], capacity: 1 }])
    const key = Array.from({ length: 200 }, (_, i) => `j${i}`).find((k) => node.placement.ownerOf('room', 'chat', k) === 'n0') as string
    // while the claim is out, the entity's messages come here (the view pins it here) and it is
    // activated from its journal; the old owner's hand-off is then refused here, and it says so
    const system = {
      actorAt: () => ({
        ask: async (): Promise<MoveResult> => {
          node.placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
          await node.system.entity(chatRoom, key).ask((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo }), { timeout: 5_000 })
          return { entity: `room/${key}`, from: 'n0', to: 'n1', outcome: 'failed', pauseMs: 0, why: 'EntityAlreadyActiveError: room cannot move here: it is active here' }
        }
      })
    } as unknown as ActorSystem
    const result = await new AdminPins({ system, port: node.port, placement: node.placement, pins: node.pins, busyMs: 1_000, graceMs: 100, moving: () => false, failures: new ServiceFailures(), log: quiet }).migrateHere('room', key, false)
    expect(result).to.include({ outcome: 'cold', from: 'n0', to: 'n1' })
    expect(result.why).to.match(/its hand-off was refused here, where it was active already \(EntityAlreadyActiveError.*\); it runs here, from its journal/)
  })
})
