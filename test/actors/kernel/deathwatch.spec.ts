import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { ActorRef, Behavior, ReplyTo } from '../../../actors/index.ts'
import { Deathwatch } from '../../../actors/kernel/deathwatch.ts'
import { counter, countOf } from '../../helpers/counter-behavior.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('Deathwatch', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  type W = { type: 'watch', target: ActorRef<never>, withMessage: boolean } | { type: 'gone', path: string }
    | { type: 'seen', replyTo: ReplyTo<string[]> }
  const watcher: Behavior<W, string[]> = {
    init: () => [],
    receive (seen, msg, ctx) {
      switch (msg.type) {
        case 'watch':
          if (msg.withMessage) ctx.watchWith(msg.target, { type: 'gone', path: msg.target.path })
          else ctx.watch(msg.target)
          return seen
        case 'gone': return [...seen, `message:${msg.path}`]
        case 'seen': ctx.reply(msg.replyTo, seen); return seen
      }
    },
    onSignal: (seen, signal) => [...seen, `${signal.type}:${signal.ref.path}:${signal.reason.type}`]
  }
  const seen = (ref: ActorRef<W>): Promise<string[]> => ref.ask<string[]>((replyTo) => ({ type: 'seen', replyTo }))

  it('should deliver terminated when a watched actor stops, and the chosen message with watchWith', async () => {
    const w = system.spawn(watcher, { name: 'w' })
    const a = system.spawn(counter, { name: 'a' })
    const b = system.spawn(counter, { name: 'b' })
    w.tell({ type: 'watch', target: a as ActorRef<never>, withMessage: false })
    w.tell({ type: 'watch', target: b as ActorRef<never>, withMessage: true })
    await seen(w)
    await system.stop(a)
    await system.stop(b)
    await waitFor(async () => (await seen(w)).length === 2, 'two notifications')
    expect(await seen(w)).to.deep.equal(['terminated:/a:shutdown', 'message:/b'])
  })

  it('should not deliver terminated for a restart, and deliver it at once for an actor already stopped', async () => {
    const w = system.spawn(watcher)
    const a = system.spawn(counter, { name: 'restarts' })
    w.tell({ type: 'watch', target: a as ActorRef<never>, withMessage: false })
    await seen(w)
    a.tell({ type: 'inc', by: 1 })
    await a.ask<number>((replyTo) => ({ type: 'fail', replyTo })).catch(() => undefined)
    await waitFor(async () => await countOf(a).then(() => true, () => false), 'the restart')
    expect(await seen(w)).to.deep.equal([])
    await system.stop(a)
    const late = system.spawn(watcher)
    late.tell({ type: 'watch', target: a as ActorRef<never>, withMessage: false })
    await waitFor(async () => (await seen(late)).length === 1, 'the immediate notification')
  })

  it('should tell nobody after an unwatch, nor after the watcher itself stopped', async () => {
    const w = system.spawn(watcher)
    const gone = system.spawn(watcher)
    const a = system.spawn(counter, { name: 'unwatched' })
    const b = system.spawn(counter, { name: 'outlived' })
    w.tell({ type: 'watch', target: a as ActorRef<never>, withMessage: false })
    gone.tell({ type: 'watch', target: b as ActorRef<never>, withMessage: false })
    await seen(w)
    await seen(gone)
    await system.stop(gone as ActorRef<never>)
    await system.stop(b)
    expect(system.stats.deadLetters, 'no notification to the stopped watcher').to.equal(0)
    const unwatching = system.spawn<{ type: 'go', target: ActorRef<never>, replyTo: ReplyTo<string> }, undefined>({
      receive (_s, msg, ctx) {
        ctx.watch(msg.target)
        ctx.unwatch(msg.target)
        ctx.reply(msg.replyTo, 'done')
        return undefined
      },
      onSignal: () => { throw new Error('told after an unwatch') }
    })
    await unwatching.ask<string>((replyTo) => ({ type: 'go', target: a as ActorRef<never>, replyTo }))
    await system.stop(a)
    w.tell({ type: 'watch', target: a as ActorRef<never>, withMessage: false })
    await waitFor(async () => (await seen(w)).length === 2, 'w\'s notifications')
    expect(system.stats.failures).to.equal(0)
  })

  it('should link both ways and unlink either side', () => {
    const cells = new Map<string, Deathwatch<string>>()
    const of = (cell: string): Deathwatch<string> => cells.get(cell) as Deathwatch<string>
    for (const name of ['w', 'x', 'y']) cells.set(name, new Deathwatch<string>(of))
    of('w').watch('w', 'x', undefined)
    of('w').watch('w', 'y', { message: 'y-gone' })
    const told: string[] = []
    of('y').notifyWatchers((watcher, watch) => { told.push(`${watcher}:${JSON.stringify(watch)}`) })
    expect(told).to.deep.equal(['w:{"message":"y-gone"}'])
    of('y').notifyWatchers((watcher) => { told.push(`again:${watcher}`) })
    expect(told, 'told once').to.have.length(1)
    of('w').unlinkAll('w')
    of('x').notifyWatchers((watcher) => { told.push(`x:${watcher}`) })
    expect(told).to.have.length(1)
  })
})
