import { expect } from 'chai'
import { ActorSystem, InvalidMessageError, entityTypeKey } from '../../../actors/index.ts'
import type { EntityType, ReplyTo } from '../../../actors/index.ts'
import { ACCOUNT, accountType, balance, deposit, gatedJournal, jobType, useEntityNode } from '../../helpers/kernel-entities.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// Where a message for an entity goes (here, to its owner, to wait), and each activation's start and
// end, on a real LevelDB journal (test/helpers/kernel-entities.ts).
describe('EntityHost', () => {
  const node = useEntityNode()

  it('should activate an entity on its first message and list it', async () => {
    const system = await node.open()
    expect(system.entities()).to.deep.equal([])
    expect(await deposit(system, 'alice', 10)).to.equal(10)
    expect(system.entities('account')).to.deep.equal([{ type: 'account', key: 'alice', status: 'running', mailbox: 0 }])
    expect(system.stats.entityActivations).to.equal(1)
    expect(system.lookup('/entities/account/alice')).to.not.equal(undefined)
    expect(system.entityTypes()).to.deep.equal([{ type: 'account', role: 'storage' }])
  })

  it('should passivate an idle entity and recover its state on the next message', async () => {
    const system = await node.open([accountType({ idleTimeout: 20 })])
    await deposit(system, 'bob', 5)
    await deposit(system, 'bob', 7)
    await waitFor(() => system.entities().length === 0, 'passivation', { timeout: 2_000 })
    expect(system.stats.entityPassivations).to.equal(1)
    expect(await balance(system, 'bob')).to.deep.equal({ balance: 12, seq: 2 })
    expect(system.stats.entityActivations).to.equal(2)
  })

  it('should refuse messages and events that are not plain data, naming the field', async () => {
    type M = { type: 'put', value: unknown, replyTo?: ReplyTo<number> }
    const bad: EntityType<M, { n: number }, { type: 'put', value: unknown }> = {
      type: 'loose',
      role: 'chat',
      initialState: () => ({ n: 0 }),
      applyEvent: (s) => ({ n: s.n + 1 }),
      async receive (ctx, msg) {
        await ctx.persist({ type: 'put', value: msg.value })
        if (msg.replyTo !== undefined) ctx.reply(msg.replyTo, ctx.state.n)
      }
    }
    const system = await node.open([bad])
    const ref = system.entity(entityTypeKey<M>('loose'), 'x')
    expect(() => ref.tell({ type: 'put', value: new Map([['a', 1]]) })).to.throw(/message to loose\/x.value is not plain data: found an instance of Map/)
    const err = await ref.ask<number>((replyTo) => ({ type: 'put', value: { when: new Date(0) }, replyTo })).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'NotSerializableError')
    expect((err as Error).message).to.match(/value.when is not plain data: found an instance of Date/)
    // a message can be plain while the event built from it is not: the handler crashes, nothing is journaled
    expect(await node.journal.head('loose/x')).to.equal(0)
    expect(await ref.ask<number>((replyTo) => ({ type: 'put', value: [1, 'two', null, new Uint8Array([3])], replyTo }))).to.equal(1)
  })

  it('should activate nothing new while the mesh says the view is partial, and keep serving what is active', async () => {
    const system = await node.open()
    let whole = true
    system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {}, mayActivate: () => whole })
    expect(await deposit(system, 'sam', 1)).to.equal(1)
    whole = false
    expect(await deposit(system, 'sam', 1)).to.equal(2, 'an entity active here goes on')
    const err = await deposit(system, 'tia', 1).then(() => null, (e: unknown) => e as Error)
    expect(err?.name).to.equal('PartialViewError')
    expect(err?.message).to.match(/^account\/tia: this node hears too few members/)
    expect(system.entities('account').map((e) => e.key)).to.deep.equal(['sam'])
    whole = true
    expect(await deposit(system, 'tia', 1)).to.equal(1)
  })

  it('should check each local message against its type in strict mode: a refused one is answered and never reaches the entity', async () => {
    let system: ActorSystem
    // a deposit must be a positive integer (receive would journal anything)
    const check = (msg: unknown): void => {
      const amount = (msg as { amount?: unknown }).amount
      if ((msg as { type?: unknown }).type === 'deposit' && !(Number.isInteger(amount) && (amount as number) > 0)) throw new InvalidMessageError(`amount: expected a positive integer, got ${String(amount)}`)
    }
    system = await node.open([accountType({ check })])
    await deposit(system, 'kim', 3)
    for (const amount of [-5, 0.5, '7']) {
      const err = await deposit(system, 'kim', amount as number).then(() => null, (e: unknown) => e)
      expect(err, String(amount)).to.be.instanceOf(InvalidMessageError)
    }
    expect(system.entity(ACCOUNT, 'kim').tell({ type: 'deposit', amount: -1 } as never)).to.equal(false)
    expect(await balance(system, 'kim')).to.deep.equal({ balance: 3, seq: 1 })
    expect([system.stats.refusals, system.stats.failures, system.stats.restarts]).to.deep.equal([4, 0, 0])
    // outside strict mode a local message is trusted (only other nodes' messages are checked)
    system = await node.open([accountType({ check })], { strictSerialization: false })
    expect(await deposit(system, 'kim', -5)).to.equal(-2)
    expect(system.stats.refusals).to.equal(0)
  })

  it('should answer a peer\'s message for an unknown type, a bad key or a refused message with an error, never a throw', async () => {
    const check = (msg: unknown): void => {
      if ((msg as { type?: unknown }).type !== 'balance') throw new InvalidMessageError('type: expected balance')
    }
    const system = await node.open([accountType({ check })], { strictSerialization: false })
    const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {} })
    expect(port.deliverToEntity('nope', 'k', { type: 'balance' })).to.have.property('name', 'UnknownEntityTypeError')
    expect(port.deliverToEntity('account', 'a/b', { type: 'balance' })).to.have.property('name', 'InvalidNameError')
    expect(port.deliverToEntity('account', 'k', { type: 'deposit', amount: 1 })).to.be.instanceOf(InvalidMessageError)
    expect(system.entities()).to.deep.equal([])
    expect(system.stats.refusals).to.equal(1)
  })

  it('should send a message for an entity another node owns to that node, checked as plain data first', async () => {
    const system = await node.open()
    const sent: Array<{ to: string, type: string, key: string, msg: unknown }> = []
    system.attachRemoting({
      ownerOf: (_type, _role, key) => key === 'mine' ? system.node : key === 'orphan' ? new RangeError('no member holds the role storage') : 'node-b',
      toEntity: (to, type, key, msg) => { sent.push({ to, type, key, msg }); return 'ok' },
      toActor: () => 'stopped',
      reply: () => {}
    })
    expect(system.entity(ACCOUNT, 'far').tell({ type: 'sleep' })).to.equal(true)
    expect(sent).to.deep.equal([{ to: 'node-b', type: 'account', key: 'far', msg: { type: 'sleep' } }])
    expect(() => system.entity(ACCOUNT, 'far').tell({ type: 'sleep', at: new Date(0) } as never)).to.throw(/not plain data/)
    const err = await deposit(system, 'orphan', 1).then(() => null, (e: unknown) => e as Error)
    expect(err?.message).to.equal('no member holds the role storage')
    expect(await deposit(system, 'mine', 2)).to.equal(2)
    expect(system.entities().map((e) => e.key)).to.deep.equal(['mine'])
  })

  it('should relinquish the entities whose owner changed once their busy work ends, sending their next messages to the new owner', async () => {
    const job = jobType()
    const system = await node.open([accountType(), job])
    let owner = system.node
    const sent: string[] = []
    const port = system.attachRemoting({ ownerOf: () => owner, toEntity: (to, _t, key) => { sent.push(`${to}:${key}`); return 'ok' }, toActor: () => 'stopped', reply: () => {} })
    await deposit(system, 'uma', 1)
    const ended = system.entity(job, 'j').ask<string>((replyTo) => ({ type: 'start', replyTo }), { timeout: 10_000 })
    await system.entity(job, 'j').ask<string[]>((replyTo) => ({ type: 'events', replyTo }))
    owner = 'node-b'
    expect(port.relinquish((type) => type === 'nothing')).to.equal(2)
    expect(port.relinquish(() => false), 'already leaving').to.equal(0)
    await port.relinquished('account', 'uma', 5_000)
    expect(system.entities().map((e) => e.key)).to.deep.equal(['j'], 'the busy job stays until its work ends')
    job.finish('j')
    expect(await ended).to.equal('finished')
    await waitFor(() => system.entities().length === 0, 'the job to stop')
    expect(system.entity(ACCOUNT, 'uma').tell({ type: 'sleep' })).to.equal(true)
    expect(sent).to.deep.equal(['node-b:uma'])
  })

  it('should stop every entity for a node\'s stop only once its writes are durable, and activate none after', async () => {
    let system: ActorSystem
    let gated!: ReturnType<typeof gatedJournal>
    system = await node.open([accountType()], { wrap: (real) => (gated = gatedJournal(real)).journal })
    await deposit(system, 'mia', 1)
    gated.hold = true
    const acked = deposit(system, 'mia', 2)
    await waitFor(() => gated.pending === 1, 'the write to be under way', { timeout: 5_000, interval: 5 })
    let stopped = false
    const stopping = system.stopEntities(10_000).then((left) => { stopped = true; return left })
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(stopped, 'stopped while its write was in flight').to.equal(false)
    gated.release()
    expect(await acked).to.equal(3)
    expect(await stopping, 'entities that did not stop').to.equal(0)
    expect(system.entities()).to.deep.equal([])
    // nothing activates after it: a message for it is refused, and nothing changes
    const late = await deposit(system, 'mia', 5).then(() => null, (e: unknown) => e as Error)
    expect(late?.name).to.equal('ActorStoppedError')
    system = await node.open()
    expect(await balance(system, 'mia')).to.deep.equal({ balance: 3, seq: 2 })
  })

  it('should say how many entities did not stop with their writes durable within the time given', async () => {
    let gated!: ReturnType<typeof gatedJournal>
    const system = await node.open([accountType()], { wrap: (real) => (gated = gatedJournal(real)).journal })
    await deposit(system, 'noa', 1)
    await deposit(system, 'olga', 1)
    gated.hold = true
    const acked = deposit(system, 'noa', 2)
    await waitFor(() => gated.pending === 1, 'the write to be under way', { timeout: 5_000, interval: 5 })
    expect(await system.stopEntities(20), 'noa, its write held').to.equal(1)
    gated.release()
    expect(await acked).to.equal(3)
  })
})
