import { expect } from 'chai'
import { ActorSystem, entityTypeKey } from '../../../actors/index.ts'
import type { ActorContext, ActorRef, ReplyTo } from '../../../actors/index.ts'
import { counter } from '../../helpers/counter-behavior.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// The context handed to one actor's handlers (actor-context.ts), through real actors.
describe('actorContext', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  it('should stop itself after the current message when it calls ctx.stop()', async () => {
    type M = { type: 'quit' } | { type: 'get', replyTo: ReplyTo<string> }
    let stoppedWith = ''
    const ref = system.spawn<M, undefined>({
      receive (_s, msg, ctx) {
        if (msg.type === 'quit') void ctx.stop()
        else ctx.reply(msg.replyTo, 'alive')
        return undefined
      },
      onStop (_s, reason) { stoppedWith = reason.type }
    })
    expect(await ref.ask<string>((replyTo) => ({ type: 'get', replyTo }))).to.equal('alive')
    ref.tell({ type: 'quit' })
    await waitFor(() => stoppedWith !== '', 'the actor to stop')
    expect(stoppedWith).to.equal('normal')
    expect(system.actors().map((a) => a.path)).not.to.include(ref.path)
  })

  it('should stop only the actor\'s own children, and start a child only once its init has finished', async () => {
    const order: string[] = []
    let ctxOf!: ActorContext<string>
    const parent = system.spawn<string, undefined>({
      init: (ctx) => { ctxOf = ctx; return undefined },
      receive: (s) => s
    }, { name: 'parent' })
    const stranger = system.spawn(counter, { name: 'stranger' })
    await waitFor(() => ctxOf !== undefined, 'the parent to start')
    const child = await ctxOf.startChild<string, undefined>({
      init: async () => { await new Promise((resolve) => setTimeout(resolve, 5)); order.push('init done') },
      receive: (s) => s
    }, { name: 'child' })
    order.push('startChild resolved')
    expect(order).to.deep.equal(['init done', 'startChild resolved'])
    expect(ctxOf.children().map((r) => r.path)).to.deep.equal(['/parent/child'])
    expect(() => ctxOf.stop(stranger as ActorRef<never>)).to.throw(TypeError, /can stop only itself or its own children/)
    await ctxOf.stop(child as ActorRef<never>)
    expect(ctxOf.children()).to.deep.equal([])
    expect(system.lookup('/stranger')).to.not.equal(undefined)
    expect(parent.path).to.equal('/parent')
  })

  it('should refuse to watch what is not an actor of this system', async () => {
    const room = entityTypeKey<string>('room')
    let ctxOf!: ActorContext<string>
    system.spawn<string, undefined>({ init: (ctx) => { ctxOf = ctx; return undefined }, receive: (s) => s })
    await waitFor(() => ctxOf !== undefined, 'the actor to start')
    const remote = system.actorAt<string>({ node: 'another-node', path: '/x' })
    expect(() => { ctxOf.watch(remote as ActorRef<never>) }).to.throw(TypeError, /is not an actor of this system/)
    expect(() => { ctxOf.entity(room, 'general') }).to.throw(/unknown entity type "room"/)
  })

  it('should answer and fail asks, and reach the system\'s refs, but never the system itself', async () => {
    type M = { type: 'ok', replyTo: ReplyTo<string> } | { type: 'no', replyTo: ReplyTo<string> }
    let keys: string[] = []
    const ref = system.spawn<M, undefined>({
      receive (_s, msg, ctx) {
        // what it offers: its own fields and its class's methods (nothing that reaches the system)
        keys = [...Object.keys(ctx), ...Object.getOwnPropertyNames(Object.getPrototypeOf(ctx)).filter((k) => k !== 'constructor')].sort()
        if (msg.type === 'ok') ctx.reply(msg.replyTo, `${ctx.node}:${ctx.self.path}:${String(ctx.lookup('/asker') !== undefined)}`)
        else ctx.fail(msg.replyTo, new RangeError('no'))
        return undefined
      }
    }, { name: 'asker' })
    expect(await ref.ask<string>((replyTo) => ({ type: 'ok', replyTo }))).to.equal('local:/asker:true')
    expect(await ref.ask<string>((replyTo) => ({ type: 'no', replyTo })).catch((e: Error) => e.message)).to.equal('no')
    expect(keys).to.deep.equal(['actorAt', 'children', 'crash', 'entity', 'fail', 'log', 'lookup', 'node', 'reply', 'self', 'spawn', 'startChild', 'stop', 'timers', 'unwatch', 'watch', 'watchWith'])
  })
})
