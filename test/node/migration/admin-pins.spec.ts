import { expect } from 'chai'
import { AdminPins, PIN_GRACE_MS, checkMoveResult } from '../../../node/migration/index.ts'
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
})
