import { expect } from 'chai'
import type { ActorSystem, RemotingPort } from '../../../actors/index.ts'
import { Migrator } from '../../../node/migration/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { OneNode, handOff, quiet } from './fixtures/one-node.ts'

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

// A migrator on one node with a real actor system: an entity handed over here on a view this node
// has left behind moves on.
describe('Migrator: entities handed over on another view', () => {
  const node = new OneNode()
  beforeEach(async () => { await node.setup() })
  afterEach(async () => { await node.teardown() })

  it('should move on an entity handed over here that its view gives to another node, once the view still says so a moment later', async () => {
    const { system, placement, pins, migrator } = node
    // n1's view: n2 holds chat too. The old owner moved these here on a view of its own
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }, { peerId: 'n2', roles: ['chat'], capacity: 1 }])
    const keys = Array.from({ length: 64 }, (_, i) => `k${i}`)
    const there = keys.find((k) => placement.ownerOf('room', 'chat', k) === 'n2') as string
    const back = keys.filter((k) => k !== there).find((k) => placement.ownerOf('room', 'chat', k) === 'n2') as string
    const here = keys.find((k) => placement.ownerOf('room', 'chat', k) === 'n1') as string
    for (const key of [there, back, here]) expect(await node.ask((replyTo) => ({ type: 'adopt', entityType: 'room', key, handOff, replyTo }))).to.equal('ok')
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
})
