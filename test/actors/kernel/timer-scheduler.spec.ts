import { expect } from 'chai'
import { ActorSystem, TimerScheduler } from '../../../actors/index.ts'
import type { ActorRef, Behavior, ReplyTo } from '../../../actors/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('TimerScheduler', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  type M = { type: 'tick' } | { type: 'arm', periodic: boolean, ms: number } | { type: 'cancel' }
    | { type: 'count', replyTo: ReplyTo<number> }

  const ticker: Behavior<M, number> = {
    init: () => 0,
    receive (n, msg, ctx) {
      switch (msg.type) {
        case 'tick': return n + 1
        case 'arm':
          if (msg.periodic) ctx.timers.startPeriodic('t', { type: 'tick' }, msg.ms)
          else ctx.timers.startSingle('t', { type: 'tick' }, msg.ms)
          return n
        case 'cancel': ctx.timers.cancel('t'); return n
        case 'count': ctx.reply(msg.replyTo, n); return n
      }
    }
  }
  const count = (ref: ActorRef<M>): Promise<number> => ref.ask<number>((replyTo) => ({ type: 'count', replyTo }))
  /** Waits for a timer of its own of `ms` to fire: any timer due before it has fired by then
   * (timers fire in the order they are due), so what has not happened will not. */
  const after = async (ms: number): Promise<void> => {
    const probe = system.spawn(ticker)
    probe.tell({ type: 'arm', periodic: false, ms })
    await waitFor(async () => await count(probe) === 1, `a probe timer of ${ms} ms`)
    await system.stop(probe as ActorRef<never>)
  }

  it('should deliver a single timer once and a periodic one until cancelled', async () => {
    const single = system.spawn(ticker)
    single.tell({ type: 'arm', periodic: false, ms: 5 })
    await waitFor(async () => await count(single) === 1, 'the single tick')
    await after(30)
    expect(await count(single)).to.equal(1)

    const periodic = system.spawn(ticker)
    periodic.tell({ type: 'arm', periodic: true, ms: 5 })
    await waitFor(async () => await count(periodic) >= 3, 'three periodic ticks')
    periodic.tell({ type: 'cancel' })
    const ticks = await count(periodic)
    await after(40)
    expect(await count(periodic)).to.equal(ticks)
  })

  it('should replace a timer started again with the same key', async () => {
    // the new timer runs...
    const ref = system.spawn(ticker)
    ref.tell({ type: 'arm', periodic: false, ms: 10_000 })
    ref.tell({ type: 'arm', periodic: false, ms: 5 })
    await waitFor(async () => await count(ref) === 1, 'the replaced timer')
    // ...and the old one no longer does
    const rearmed = system.spawn(ticker)
    rearmed.tell({ type: 'arm', periodic: false, ms: 5 })
    rearmed.tell({ type: 'arm', periodic: false, ms: 10_000 })
    await after(30)
    expect(await count(rearmed)).to.equal(0)
    rearmed.tell({ type: 'cancel' })
  })

  it('should cancel every timer when the actor stops', async () => {
    const ref = system.spawn(ticker)
    ref.tell({ type: 'arm', periodic: true, ms: 5 })
    await waitFor(async () => await count(ref) >= 1, 'a tick')
    await system.stop(ref)
    const dead = system.stats.deadLetters
    await after(30)
    expect(system.stats.deadLetters).to.equal(dead)
  })

  it('should refuse a delay that is not a finite number of ms >= 0, and a periodic interval below 1 ms', () => {
    const timers = new TimerScheduler<string>(() => {})
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => { timers.startSingle('k', 'm', bad) }, String(bad)).to.throw(RangeError, /timer delay must be a finite number of ms >= 0/)
    }
    expect(() => { timers.startPeriodic('k', 'm', 0.5) }).to.throw(RangeError, /at least 1 ms/)
    expect(timers.size).to.equal(0)
  })

  it('should say which keys are active, and cancel them all at once', async () => {
    const sent: string[] = []
    const timers = new TimerScheduler<string>((msg) => { sent.push(msg) })
    timers.startSingle('once', 'single', 1)
    timers.startPeriodic('every', 'tick', 60_000)
    expect([timers.isActive('once'), timers.isActive('every'), timers.size]).to.deep.equal([true, true, 2])
    await waitFor(() => sent.length === 1, 'the single timer')
    expect([timers.isActive('once'), timers.size]).to.deep.equal([false, 1])
    timers.cancelAll()
    expect(timers.size).to.equal(0)
    timers.cancel('never-started')
  })
})
