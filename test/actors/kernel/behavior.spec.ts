import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { ActorRef, Behavior, ExitReason, ReplyTo } from '../../../actors/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// The Behavior contract (behavior.ts) as the kernel holds to it.
describe('Behavior', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  it('should run init at start and after every restart, and onStop after the children and timers are stopped', async () => {
    type M = { type: 'crash' } | { type: 'arm' } | { type: 'tick' } | { type: 'state', replyTo: ReplyTo<number> }
    const log: string[] = []
    let inits = 0
    const ref = system.spawn<M, number>({
      init (ctx) {
        inits++
        ctx.spawn({ receive: (s) => s, onStop: () => { log.push(`child stops (${inits})`) } }, { name: 'child' })
        return inits * 10
      },
      receive (state, msg, ctx) {
        switch (msg.type) {
          case 'crash': throw new Error('a bug')
          case 'arm': ctx.timers.startPeriodic('t', { type: 'tick' }, 60_000); return state
          case 'tick': return state + 1
          case 'state': ctx.reply(msg.replyTo, state); return state
        }
      },
      onStop (state, reason, ctx) {
        log.push(`onStop ${reason.type} state ${state} timers ${ctx.timers.size} children ${ctx.children().length}`)
      }
    }, { restart: 'permanent' })
    const state = (): Promise<number> => ref.ask<number>((replyTo) => ({ type: 'state', replyTo }))
    expect(await state()).to.equal(10)
    ref.tell({ type: 'arm' })
    ref.tell({ type: 'crash' })
    await waitFor(() => inits === 2, 'the restart')
    expect(await state(), 'a fresh state from init').to.equal(20)
    await system.stop(ref as ActorRef<never>)
    expect(log).to.deep.equal([
      'child stops (1)', 'onStop failed state 10 timers 0 children 0',
      'child stops (2)', 'onStop shutdown state 20 timers 0 children 0'
    ])
  })

  it('should ignore signals for a behavior without onSignal', async () => {
    type M = { type: 'watch', target: ActorRef<never> } | { type: 'ping', replyTo: ReplyTo<string> }
    const watcher = system.spawn<M, undefined>({
      receive (_s, msg, ctx) {
        if (msg.type === 'watch') ctx.watch(msg.target)
        else ctx.reply(msg.replyTo, 'pong')
        return undefined
      }
    })
    const target = system.spawn<string, undefined>({ receive: (s) => s })
    watcher.tell({ type: 'watch', target: target as ActorRef<never> })
    await system.stop(target as ActorRef<never>)
    expect(await watcher.ask<string>((replyTo) => ({ type: 'ping', replyTo }))).to.equal('pong')
    expect(system.stats.failures).to.equal(0)
  })

  it('should default a spawned actor to transient (restarted only after a failure) and its kind to actor, or supervisor with flags', async () => {
    const reasons: ExitReason['type'][] = []
    let inits = 0
    type M = { type: 'crash' } | { type: 'quit' }
    const plain: Behavior<M, undefined> = {
      init: () => { inits++; return undefined },
      receive (_s, msg, ctx) {
        if (msg.type === 'crash') throw new Error('a bug')
        void ctx.stop()
        return undefined
      },
      onStop: (_s, reason) => { reasons.push(reason.type) }
    }
    const ref = system.spawn(plain, { name: 'plain' })
    system.spawn({ ...plain, supervision: {} }, { name: 'flagged' })
    expect(system.actors().filter((a) => a.path !== '/entities').map((a) => a.kind)).to.deep.equal(['actor', 'supervisor'])
    ref.tell({ type: 'crash' })
    await waitFor(() => inits === 3, 'the restart after a failure')
    ref.tell({ type: 'quit' })
    await waitFor(() => system.lookup('/plain') === undefined, 'the normal exit, not restarted')
    expect(reasons).to.deep.equal(['failed', 'normal'])
  })
})
