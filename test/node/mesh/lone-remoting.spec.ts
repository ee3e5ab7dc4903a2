import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { LoneRemoting } from '../../../node/mesh/lone-remoting.ts'
import { Placement } from '../../../node/mesh/placement.ts'

describe('LoneRemoting', () => {
  it('should own every entity of a role this node holds, and none of a role it lacks', () => {
    const placement = new Placement('n1')
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
    const lone = new LoneRemoting(placement)
    expect(lone.ownerOf('room', 'chat', 'general')).to.equal('n1')
    const none = lone.ownerOf('agent', 'ai', 'alice')
    expect(none).to.be.instanceOf(Error).with.property('name', 'NoOwnerError')
  })

  it('should refuse to send anything to another node, saying it runs alone', () => {
    const lone = new LoneRemoting(new Placement('n1'))
    const toEntity = lone.toEntity('n2')
    const toActor = lone.toActor({ node: 'n2', path: '/inspector' })
    for (const result of [toEntity, toActor]) {
      expect(result).to.be.instanceOf(Error).with.property('name', 'PeerUnreachableError')
      expect((result as Error).message).to.equal('peer n2 is unreachable: this node runs alone (no cluster key)')
    }
  })

  it('should let an actor system answer its own asks when attached', async () => {
    const placement = new Placement('n1')
    placement.update([{ peerId: 'n1', roles: ['chat'], capacity: 1 }])
    const system = new ActorSystem({ node: 'n1' })
    system.attachRemoting(new LoneRemoting(placement))
    system.spawn<{ replyTo: never }, undefined>({ init: () => undefined, receive: (_s, msg, ctx) => { ctx.reply(msg.replyTo, 'here'); return undefined } }, { name: 'echo' })
    try {
      expect(await system.actorAt<{ replyTo: never }>({ node: 'n1', path: '/echo' }).ask((replyTo) => ({ replyTo: replyTo as never }))).to.equal('here')
      const away = await system.actorAt<{ replyTo: never }>({ node: 'n2', path: '/echo' }).ask((replyTo) => ({ replyTo: replyTo as never }), { timeout: 1_000 }).then(() => undefined, (e: Error) => e)
      expect(away?.name).to.equal('PeerUnreachableError')
    } finally {
      await system.terminate()
    }
  })
})
