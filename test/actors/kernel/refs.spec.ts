import { expect } from 'chai'
import { entityTypeKey } from '../../../actors/index.ts'
import type { EntityType, Refs, ReplyTo } from '../../../actors/index.ts'
import { ACCOUNT, accountType, deposit, useEntityNode } from '../../helpers/kernel-entities.ts'

// How behaviours reach beyond themselves (refs.ts): the same Refs in an actor's context and in an
// entity's, never the system.
describe('Refs', () => {
  const node = useEntityNode()

  it('should let an entity reach another entity, a local actor by path, and an actor by address', async () => {
    type M = { type: 'relay', amount: number, replyTo: ReplyTo<string> }
    let refs!: Refs
    const relay: EntityType<M, null, never> = {
      type: 'relay',
      role: 'chat',
      initialState: () => null,
      applyEvent: (state) => state,
      async receive (ctx, msg) {
        refs = ctx
        const balance = await ctx.entity(ACCOUNT, 'target').ask<number>((replyTo) => ({ type: 'deposit', amount: msg.amount, replyTo }))
        const local = ctx.lookup('/echo') !== undefined
        const byAddress = ctx.actorAt({ node: ctx.node, path: '/echo' }).tell('hello')
        ctx.reply(msg.replyTo, `${balance}:${String(local)}:${String(byAddress)}`)
      }
    }
    const system = await node.open([accountType(), relay])
    const heard: string[] = []
    system.spawn<string, undefined>({ receive: (s, msg) => { heard.push(msg); return s } }, { name: 'echo' })
    const answer = await system.entity(entityTypeKey<M>('relay'), 'r').ask<string>((replyTo) => ({ type: 'relay', amount: 4, replyTo }))
    expect(answer).to.equal('4:true:true')
    expect(await deposit(system, 'target', 1)).to.equal(5)
    expect(heard).to.deep.equal(['hello'])
    expect(refs.node).to.equal(system.node)
    expect('registerEntity' in refs || 'terminate' in refs, 'the system itself is not reachable').to.equal(false)
  })
})
