import { expect } from 'chai'
import { ActorRef, EntityRef, SystemStats } from '../../../actors/index.ts'
import { PendingAsks } from '../../../actors/kernel/pending-asks.ts'
import { ACCOUNT, accountType, balance, deposit, useEntityNode } from '../../helpers/kernel-entities.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('EntityRef', () => {
  const node = useEntityNode()

  it('should address an entity by type and key, as plain data, and never be an actor ref', () => {
    const stats = new SystemStats()
    const ref = new EntityRef<string>('room', 'general', () => 'ok', 8, new PendingAsks('n', stats), stats)
    expect([ref.type, ref.key, ref.id, String(ref)]).to.deep.equal(['room', 'general', 'room/general', 'EntityRef(room/general)'])
    expect(ref.address).to.deep.equal({ type: 'room', key: 'general' })
    expect(ref).to.not.be.instanceOf(ActorRef)
  })

  it('should keep reaching the entity as the actor behind it comes and goes', async () => {
    const system = await node.open([accountType({ idleTimeout: 10 })])
    const ref = system.entity(ACCOUNT, 'eve')
    expect(await ref.ask<number>((replyTo) => ({ type: 'deposit', amount: 2, replyTo }))).to.equal(2)
    await waitFor(() => system.entities().length === 0, 'passivation')
    expect(await ref.ask<number>((replyTo) => ({ type: 'deposit', amount: 3, replyTo }))).to.equal(5)
    expect(await balance(system, 'eve')).to.deep.equal({ balance: 5, seq: 2 })
    expect(await deposit(system, 'eve', 0)).to.equal(5)
  })
})
