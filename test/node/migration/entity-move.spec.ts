import { expect } from 'chai'
import { chatRoom } from '../../../actors/index.ts'
import { moveEntity } from '../../../node/migration/index.ts'
import type { EntityMoveDeps, MoveResult, MoveTrigger } from '../../../node/migration/index.ts'
import { OneNode } from './fixtures/one-node.ts'

describe('moveEntity (one node, a real actor system)', function () {
  this.timeout(20_000)
  const node = new OneNode()
  let ended: Array<{ result: MoveResult, trigger: MoveTrigger }>
  let said: string[]
  let deps: EntityMoveDeps
  beforeEach(async () => {
    await node.setup()
    ended = []
    said = []
    deps = {
      system: node.system,
      port: node.port,
      live: () => false,
      busyMs: 1_000,
      graceMs: 100,
      ended: (result, trigger) => { ended.push({ result, trigger }) },
      log: { warn: (_o: object, msg: string) => { said.push(`warn: ${msg}`) }, debug: (_o: object, msg: string) => { said.push(`debug: ${msg}`) } }
    }
  })
  afterEach(async () => { await node.teardown() })
  const activate = async (key: string): Promise<void> => { await node.system.entity(chatRoom, key).ask((replyTo) => ({ type: 'info', replyTo }), { timeout: 5_000 }) }

  it('should move nothing to this node itself, nor an entity not active here, and say so once each', async () => {
    await activate('r')
    const self = await moveEntity(deps, 'room', 'r', 'n1', 'rebalance')
    expect(self).to.include({ entity: 'room/r', from: 'n1', to: 'n1', outcome: 'not-active', why: 'it is already here' })
    const idle = await moveEntity(deps, 'room', 'idle', 'n2', 'drain')
    expect(idle).to.include({ outcome: 'not-active', to: 'n2' })
    expect(ended.map((e) => [e.result.outcome, e.trigger])).to.deep.equal([['not-active', 'rebalance'], ['not-active', 'drain']])
    expect(node.system.entities('room').map((e) => e.key)).to.deep.equal(['r'])
  })

  it('should release an active entity and, when the new owner does not take it, end failed with the entity gone from here and its pause measured', async () => {
    await activate('r')
    const result = await moveEntity(deps, 'room', 'r', 'n2', 'admin')
    expect(result.outcome).to.equal('failed')
    expect(result.why).to.match(/PeerUnreachableError/)
    expect(result.pauseMs).to.be.at.least(0)
    expect(node.system.entities('room')).to.deep.equal([])
    expect(said.some((m) => m.startsWith('warn: room/r: n2 did not take it'))).to.equal(true)
    expect(ended).to.have.length(1)
  })

  it('should do the work before a move outside its pause, and move whatever that work says', async () => {
    await activate('a')
    await activate('b')
    const before: string[] = []
    const failing = await moveEntity({ ...deps, beforeMove: async (type, key, to) => { before.push(`${type}/${key}->${to}`); throw new Error('no cache to send') } }, 'room', 'a', 'n2', 'drain')
    expect(failing.outcome).to.equal('failed')
    expect(said.some((m) => m === 'debug: the work before a move failed (Error: no cache to send); the entity moves without it')).to.equal(true)
    const done = await moveEntity({ ...deps, beforeMove: async (type, key, to) => { before.push(`${type}/${key}->${to}`) } }, 'room', 'b', 'n2', 'drain')
    expect(done.outcome).to.equal('failed')
    expect(before).to.deep.equal(['room/a->n2', 'room/b->n2'])
  })
})
