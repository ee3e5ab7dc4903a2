import { expect } from 'chai'
import { ActorSystem, entityTypeKey } from '../../../actors/index.ts'
import { ACCOUNT, accountType, deposit, listType, useEntityNode } from '../../helpers/kernel-entities.ts'

describe('EntityRegistry', () => {
  const node = useEntityNode()

  it('should refuse unknown types, bad keys and bad entity definitions with clear errors', async () => {
    const system = await node.open()
    expect(() => system.entity(entityTypeKey('nope'), 'x')).to.throw(/unknown entity type "nope"; registered: account/)
    for (const key of ['', 'a/b', 'bell\u0007', '$x', 'k'.repeat(201)]) {
      expect(() => system.entity(ACCOUNT, key), JSON.stringify(key)).to.throw().with.property('name', 'InvalidNameError')
    }
    expect(() => system.registerEntity(accountType())).to.throw().with.property('name', 'EntityTypeTakenError')
    expect(() => system.registerEntity(accountType({ type: 'Bad Type' }))).to.throw(/must match/)
    expect(() => system.registerEntity(accountType({ type: 'roleless', role: 'gpu' as 'ai' }))).to.throw(/role must be one of chat, ai, storage, backup, plugins/)
    expect(() => system.registerEntity(accountType({ type: 'snappy', snapshotEvery: 0 }))).to.throw(/snapshotEvery must be a positive integer/)
    expect(() => system.registerEntity(accountType({ type: 'checky', check: 'yes' as never }))).to.throw(/check must be a function/)
    const bare = new ActorSystem()
    expect(() => bare.registerEntity(accountType())).to.throw(/needs a journal: pass one to the ActorSystem/)
    await bare.terminate()
  })

  it('should list the types with their roles, and fold a journal into a state by the type\'s own applyEvent', async () => {
    const system = await node.open([accountType(), listType(3)])
    expect(system.entityTypes()).to.deep.equal([{ type: 'account', role: 'storage' }, { type: 'list', role: 'chat' }])
    expect(system.foldState('account', 'k', [{ seq: 1, event: { type: 'deposited', amount: 5 } }, { seq: 2, event: { type: 'withdrew', amount: 2 } }]))
      .to.deep.equal({ balance: 3, movements: 2 })
    expect(system.foldState('list', 'k', [])).to.deep.equal({ items: [] })
    expect(() => system.foldState('nope', 'k', [])).to.throw().with.property('name', 'UnknownEntityTypeError')
    expect(() => system.foldState('account', 'a/b', [])).to.throw().with.property('name', 'InvalidNameError')
    // each type runs under a region of its own
    await deposit(system, 'k', 1)
    expect(system.actors().map((a) => `${a.path}:${a.kind}`)).to.include.members(['/entities/account:entity-region', '/entities/list:entity-region', '/entities/account/k:account'])
  })

  it('should refuse idle times and mailboxes that are not positive integers', async () => {
    const system = await node.open()
    expect(() => system.registerEntity(accountType({ type: 'idle', idleTimeout: 0 }))).to.throw(/idleTimeout must be a positive integer, got 0/)
    expect(() => system.registerEntity(accountType({ type: 'boxed', mailbox: 1.5 }))).to.throw(/mailbox must be a positive integer, got 1.5/)
    expect(() => system.registerEntity(accountType({ type: 'inert', receive: undefined as never }))).to.throw(/receive must be a function/)
    expect(() => system.entity(ACCOUNT, 'k')).to.not.throw()
    expect(() => system.entity(entityTypeKey('idle'), 'k')).to.throw(/unknown entity type "idle"/)
  })
})
