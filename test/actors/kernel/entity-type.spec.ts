import { expect } from 'chai'
import { ActorSystem, createPlainCodec, entityTypeKey } from '../../../actors/index.ts'
import type { EntityType, ReplyTo } from '../../../actors/index.ts'
import { ACCOUNT, LIST, accountType, balance, deposit, listType, useEntityNode } from '../../helpers/kernel-entities.ts'
import type { ListState } from '../../helpers/kernel-entities.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// The EntityType contract (entity-type.ts) as the kernel holds to it, on a real LevelDB journal
// (test/helpers/kernel-entities.ts).
describe('EntityType', () => {
  const node = useEntityNode()

  it('should reject with the entity\'s own typed error and change nothing', async () => {
    const system = await node.open()
    await deposit(system, 'frank', 3)
    const err = await system.entity(ACCOUNT, 'frank')
      .ask<number>((replyTo) => ({ type: 'withdraw', amount: 5, replyTo })).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'InsufficientFundsError')
    expect(await balance(system, 'frank')).to.deep.equal({ balance: 3, seq: 1 })
  })

  it('should give applyEvent each event\'s own seq, the same live and in recovery from a snapshot', async () => {
    let system: ActorSystem
    type SeqMsg = { type: 'add', replyTo: ReplyTo<readonly number[]> }
    const seqType = (): EntityType<SeqMsg, { seqs: readonly number[] }, { type: 'added' }> => ({
      type: 'seqs',
      role: 'chat',
      snapshotEvery: 2,
      initialState: () => ({ seqs: [] }),
      applyEvent: (state, _event, seq) => ({ seqs: [...state.seqs, seq] }),
      async receive (ctx, msg) {
        await ctx.persist([{ type: 'added' }, { type: 'added' }])
        ctx.reply(msg.replyTo, ctx.state.seqs)
      }
    })
    system = await node.open([seqType()])
    const add = (): Promise<readonly number[]> => system.entity(entityTypeKey<SeqMsg>('seqs'), 's').ask((replyTo) => ({ type: 'add', replyTo }))
    await add()
    expect(await add()).to.deep.equal([1, 2, 3, 4])
    await node.close()
    system = await node.open([seqType()])
    expect((await node.journal.storage.loadSnapshot('seqs/s'))?.seq).to.equal(4)
    expect(await add()).to.deep.equal([1, 2, 3, 4, 5, 6])
  })

  it('should round-trip every entity type\'s messages, events and state through msgpackr unchanged', async () => {
    const system = await node.open([accountType(), listType(3)])
    const codec = createPlainCodec()
    const samples: Record<string, { messages: unknown[], events: unknown[] }> = {
      account: {
        messages: [{ type: 'deposit', amount: 1.5, replyTo: { askId: 'a1', node: 'n' } }, { type: 'sleep' }],
        events: [{ type: 'deposited', amount: 2 }, { type: 'withdrew', amount: 0.25 }]
      },
      list: {
        messages: [{ type: 'add', items: ['a', '', 'ünï'], replyTo: { askId: 'z', node: 'n' } }],
        events: [{ type: 'added', item: 'x' }]
      }
    }
    for (const { type } of system.entityTypes()) {
      const sample = samples[type]
      expect(sample, `samples for entity type ${type}`).to.not.equal(undefined)
      for (const value of [...(sample?.messages ?? []), ...(sample?.events ?? [])]) {
        expect(codec.decode(codec.encode(value))).to.deep.equal(value)
      }
    }
    await deposit(system, 'ivy', 4)
    await system.entity(LIST, 'k').ask<number>((replyTo) => ({ type: 'add', items: ['p', 'q', 'r'], replyTo }))
    const [account, list] = await Promise.all([balance(system, 'ivy'), system.entity(LIST, 'k').ask<ListState>((replyTo) => ({ type: 'get', replyTo }))])
    expect(codec.decode(codec.encode(list))).to.deep.equal(list)
    await waitFor(async () => (await node.journal.storage.loadSnapshot('list/k')) !== undefined, 'the snapshot')
    expect((await node.journal.storage.loadSnapshot('list/k'))?.state).to.deep.equal(list)
    expect(account).to.deep.equal({ balance: 4, seq: 1 })
  })

  it('should keep the volatile state across a crash-restart and start a fresh one after passivation', async () => {
    type M = { type: 'note', text: string } | { type: 'crash' } | { type: 'notes', replyTo: ReplyTo<string[]> } | { type: 'sleep' }
    let created = 0
    const noted: EntityType<M, null, never, string[]> = {
      type: 'noted',
      role: 'chat',
      initialState: () => null,
      applyEvent: (state) => state,
      createVolatile: () => { created++; return [] },
      receive (ctx, msg) {
        switch (msg.type) {
          case 'note': ctx.volatile.push(msg.text); return
          case 'crash': throw new Error('a bug')
          case 'notes': ctx.reply(msg.replyTo, [...ctx.volatile]); return
          case 'sleep': ctx.passivate()
        }
      }
    }
    const system = await node.open([noted])
    const ref = system.entity(noted, 'n')
    const notes = (): Promise<string[]> => ref.ask<string[]>((replyTo) => ({ type: 'notes', replyTo }))
    ref.tell({ type: 'note', text: 'kept' })
    ref.tell({ type: 'crash' })
    await waitFor(() => system.stats.restarts === 1, 'the restart')
    expect(await notes()).to.deep.equal(['kept'])
    expect(created).to.equal(1)
    ref.tell({ type: 'sleep' })
    await waitFor(() => system.entities().length === 0, 'passivation')
    expect(await notes()).to.deep.equal([])
    expect(created).to.equal(2)
  })

  it('should not passivate while canPassivate says no, and stop once it says yes', async () => {
    let stay = true
    let asked = 0
    const canPassivate = (): boolean => {
      asked++
      return !stay
    }
    const system = await node.open([accountType({ idleTimeout: 10, canPassivate })])
    await deposit(system, 'vic', 1)
    // several idle periods pass: the entity is asked each time, and stays
    await waitFor(() => asked >= 3, 'three idle checks', { timeout: 5_000 })
    expect(system.entities().map((e) => e.key)).to.deep.equal(['vic'])
    expect(system.stats.entityPassivations).to.equal(0)
    stay = false
    await waitFor(() => system.entities().length === 0, 'passivation once it may', { timeout: 5_000 })
    expect(await balance(system, 'vic')).to.deep.equal({ balance: 1, seq: 1 })
  })
})
