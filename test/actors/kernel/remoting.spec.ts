import { expect } from 'chai'
import { ActorSystem, ActorSystemTerminatedError } from '../../../actors/index.ts'
import type { ActorAddress, Remoting, ReplyOutcome, ReplyTo } from '../../../actors/index.ts'
import { accountType, deposit, useEntityNode } from '../../helpers/kernel-entities.ts'
import type { CountMsg } from '../../helpers/counter-behavior.ts'
import { counter } from '../../helpers/counter-behavior.ts'

// The seam between the kernel and the mesh (remoting.ts): what the system asks of Remoting, and
// what the mesh may do through the RemotingPort that attachRemoting returns.
describe('Remoting', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  it('should fail at once the asks whose request went to a lost node, and only those', async () => {
    const silent = system.spawn<CountMsg, undefined>({ receive: () => undefined })
    const ids: string[] = []
    const ask = (): Promise<number> => silent.ask<number>((replyTo) => {
      ids.push(replyTo.askId)
      return { type: 'get', replyTo }
    }, { timeout: 60_000 })
    const [toX, toY, local] = [ask(), ask(), ask()]
    // what the mesh does through the port the system hands it (a cluster of one here)
    const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => undefined })
    port.askSentTo(ids[0] as string, 'node-x')
    port.askSentTo(ids[1] as string, 'node-y')
    port.askSentTo('no-such-ask', 'node-x')
    expect(port.failAsksSentTo('node-x', new RangeError('node-x is gone'))).to.equal(1)
    expect(await toX.then(() => null, (e: Error) => e.message)).to.equal('node-x is gone')
    expect(system.pendingAsks).to.equal(2)
    expect(port.failAsksSentTo('node-x', new RangeError('again'))).to.equal(0)
    port.settle(ids[1] as string, { error: new RangeError('y') })
    port.settle(ids[2] as string, { value: 7 })
    expect(await toY.then(() => null, (e: Error) => e.message)).to.equal('y')
    expect(await local).to.equal(7)
  })

  it('should send replies, and messages for actors of other nodes, through the mesh', async () => {
    const replies: Array<{ to: ReplyTo<unknown>, outcome: ReplyOutcome }> = []
    const toActors: Array<{ address: ActorAddress, msg: unknown }> = []
    const remoting: Remoting = {
      ownerOf: () => system.node,
      toEntity: () => 'stopped',
      toActor: (address, msg) => { toActors.push({ address, msg }); return 'ok' },
      reply: (to, outcome) => { replies.push({ to, outcome }) }
    }
    const port = system.attachRemoting(remoting)
    const ref = system.spawn(counter, { name: 'c' })
    // a question from another node: the answer goes back through the mesh
    expect(port.deliverToActor('/c', { type: 'get', replyTo: { askId: '7', node: 'peer' } })).to.equal('ok')
    expect(system.actorAt<CountMsg>({ node: 'peer', path: '/far' }).tell({ type: 'inc', by: 2 })).to.equal(true)
    ref.tell({ type: 'inc', by: 1 })
    await ref.ask<number>((replyTo) => ({ type: 'get', replyTo }))
    expect(replies).to.deep.equal([{ to: { askId: '7', node: 'peer' }, outcome: { value: 0 } }])
    expect(toActors).to.deep.equal([{ address: { node: 'peer', path: '/far' }, msg: { type: 'inc', by: 2 } }])
    expect(port.node).to.equal(system.node)
  })

  describe('entities', () => {
    const node = useEntityNode()

    it('should tell the mesh each entity type\'s role, and refuse what arrives once the system is terminated', async () => {
      const system = await node.open([accountType()])
      const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {} })
      expect([port.roleOf('account'), port.roleOf('nope')]).to.deep.equal(['storage', undefined])
      expect(await deposit(system, 'x', 1)).to.equal(1)
      expect(port.activeEntities()).to.deep.equal([['account', 'x']])
      await system.terminate()
      expect(port.deliverToEntity('account', 'x', { type: 'sleep' })).to.equal('stopped')
      expect(await port.adopt('account', 'y', { state: { balance: 0, movements: 0 }, seq: 0, snapshotSeq: 0, volatile: undefined, buffered: [] })).to.be.instanceOf(ActorSystemTerminatedError)
    })
  })
})
