import { expect } from 'chai'
import fc from 'fast-check'
import { ActorSystem, constants } from '../../../actors/index.ts'
import type { ActorRef, Behavior, ReplyTo } from '../../../actors/index.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

type CounterMsg =
  | { type: 'inc', by: number }
  | { type: 'get', replyTo: ReplyTo<number> }
  | { type: 'fail', replyTo: ReplyTo<number> }

const counter: Behavior<CounterMsg, number> = {
  init: () => 0,
  receive (n, msg, ctx) {
    switch (msg.type) {
      case 'inc': return n + msg.by
      case 'get': ctx.reply(msg.replyTo, n); return n
      case 'fail': throw new RangeError('asked to fail')
    }
  }
}

const get = (ref: ActorRef<CounterMsg>, timeout?: number): Promise<number> =>
  ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), timeout === undefined ? {} : { timeout })

describe('ActorSystem', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  describe('tell and ask', () => {
    it('should apply told messages in order and answer an ask with a typed reply', async () => {
      const ref = system.spawn(counter, { name: 'counter' })
      for (let i = 1; i <= 100; i++) expect(ref.tell({ type: 'inc', by: i })).to.equal(true)
      const total: number = await get(ref)
      expect(total).to.equal(5050)
      expect(ref.path).to.equal('/counter')
    })

    it('should infer the reply type from the request', async () => {
      const ref = system.spawn(counter)
      const n = await ref.ask((replyTo: ReplyTo<number>) => ({ type: 'get', replyTo }))
      expect(n.toFixed(0)).to.equal('0')
    })

    it('should reject an ask with AskTimeoutError when no reply comes in time', async () => {
      const silent = system.spawn<CounterMsg, undefined>({ receive: () => undefined })
      const started = performance.now()
      const err = await get(silent, 50).then(() => null, (e: unknown) => e)
      expect(err).to.have.property('name', 'AskTimeoutError')
      expect(err).to.have.property('timeoutMs', 50)
      expect(performance.now() - started).to.be.at.least(45)
      expect(system.stats.asksTimedOut).to.equal(1)
      expect(system.pendingAsks).to.equal(0)
    })

    it('should reject an ask at once with the handler\'s error when the handler throws', async () => {
      const ref = system.spawn(counter)
      const err = await ref.ask<number>((replyTo) => ({ type: 'fail', replyTo }), { timeout: 4_000 }).then(() => null, (e: unknown) => e)
      expect(err).to.be.instanceOf(RangeError)
      expect((err as Error).message).to.equal('asked to fail')
    })

    it('should answer a refused request with its error and go on with its state, never restarting, when the handler throws a refusal', async () => {
      class TooBigError extends Error {
        override readonly name = 'TooBigError'
        readonly kind = 'invalid'
      }
      let inits = 0
      type Msg = { type: 'add', by: number, replyTo: ReplyTo<number> } | { type: 'crash' }
      const ref = system.spawn<Msg, number>({
        init: () => { inits++; return 0 },
        receive (n, msg, ctx) {
          if (msg.type === 'crash') throw new Error('a bug')
          if (msg.by > 10) throw new TooBigError(`${msg.by} is over 10`)
          ctx.reply(msg.replyTo, n + msg.by)
          return n + msg.by
        }
      }, { restart: 'permanent' })
      const add = (by: number): Promise<number> => ref.ask<number>((replyTo) => ({ type: 'add', by, replyTo }))
      expect(await add(3)).to.equal(3)
      const refused = await Promise.allSettled(Array.from({ length: 20 }, () => add(11)))
      for (const r of refused) expect((r as PromiseRejectedResult).reason).to.be.instanceOf(TooBigError)
      expect(await add(4)).to.equal(7)
      expect([inits, system.stats.refusals, system.stats.failures, system.stats.restarts]).to.deep.equal([1, 20, 0, 0])
      // anything else is a failure, as before: the actor restarts with a fresh state
      ref.tell({ type: 'crash' })
      await waitFor(() => inits === 2, 'the restart')
      expect(await add(1)).to.equal(1)
      expect(system.stats.failures).to.equal(1)
    })

    it('should reject an ask with the abort reason when its signal aborts', async () => {
      const received = deferred()
      const silent = system.spawn<CounterMsg, undefined>({ receive: () => { received.resolve() } })
      const controller = new AbortController()
      const aborted = silent.ask<number>((replyTo) => ({ type: 'get', replyTo }), { signal: controller.signal })
      // aborted while the actor holds the question and will never answer it
      await received.promise
      controller.abort(new Error('user went away'))
      expect(await aborted.then(() => null, (e: unknown) => (e as Error).message)).to.equal('user went away')
      expect(system.pendingAsks).to.equal(0)
      const already = silent.ask<number>((replyTo) => ({ type: 'get', replyTo }), { signal: controller.signal })
      expect(await already.then(() => null, (e: unknown) => (e as Error).message)).to.equal('user went away')
    })

    it('should refuse a non-positive ask timeout with a clear error', async () => {
      const ref = system.spawn(counter)
      const err = await get(ref, 0).then(() => null, (e: unknown) => e)
      expect(err).to.be.instanceOf(RangeError)
      expect((err as Error).message).to.match(/ask timeout must be a positive number/)
    })

    it('should ignore a late reply after the ask timed out', async () => {
      const gate = deferred()
      const slow = system.spawn<CounterMsg, undefined>({
        async receive (_s, msg, ctx) {
          if (msg.type === 'get') { await gate.promise; ctx.reply(msg.replyTo, 1) }
          return undefined
        }
      })
      const err = await get(slow, 20).then(() => null, (e: unknown) => e)
      expect(err).to.have.property('name', 'AskTimeoutError')
      gate.resolve()
      await waitFor(() => system.stats.messagesProcessed >= 1, 'the slow handler to finish')
    })

    it('should drop a reply to a malformed address as a dead letter, never throwing (no crash, no unhandled rejection)', async () => {
      type Answer = { readonly replyTo: unknown, readonly done: ReplyTo<string> }
      const rejections: unknown[] = []
      const onRejection = (reason: unknown): void => { rejections.push(reason) }
      process.on('unhandledRejection', onRejection)
      try {
        // answers the address it was given at once and again from a promise callback (as a room
        // answers once its write is durable), then says it is done
        const answerer = system.spawn<Answer, undefined>({
          receive (_s, msg, ctx) {
            ctx.reply(msg.replyTo as ReplyTo<string>, 'now')
            void Promise.resolve().then(() => { ctx.reply(msg.replyTo as ReplyTo<string>, 'later') }).then(() => { ctx.reply(msg.done, 'done') })
            return undefined
          }
        })
        const malformed: unknown[] = [undefined, null, 'me', 5, {}, { askId: 5, node: 'local' }, { askId: '', node: 'local' }, { askId: '1', node: '' }, { askId: 'x'.repeat(33), node: 'local' }]
        for (const replyTo of malformed) {
          expect(await answerer.ask<string>((done) => ({ replyTo, done })), JSON.stringify(replyTo)).to.equal('done')
        }
        await new Promise((resolve) => setImmediate(resolve))
        expect(rejections).to.deep.equal([])
        expect(system.stats.failures).to.equal(0)
        expect(system.stats.deadLetters).to.equal(2 * malformed.length)
      } finally {
        process.off('unhandledRejection', onRejection)
      }
    })

    it('should fail at once the asks whose request went to a lost node, and only those', async () => {
      const silent = system.spawn<CounterMsg, undefined>({ receive: () => undefined })
      const ids: string[] = []
      const ask = (): Promise<number> => silent.ask<number>((replyTo) => {
        ids.push(replyTo.askId)
        return { type: 'get', replyTo }
      }, { timeout: 60_000 })
      const [toX, toY, local] = [ask(), ask(), ask()]
      // what the mesh does through the port the system hands it (a cluster of one here)
      const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => undefined })
      port.askSentTo(ids[0] as string, 'node-x')
      port.askSentTo(ids[1] as string, 'node-y')
      port.askSentTo('no-such-ask', 'node-x')
      expect(port.failAsksSentTo('node-x', new RangeError('node-x is gone'))).to.equal(1)
      expect(await toX.then(() => null, (e: Error) => e.message)).to.equal('node-x is gone')
      expect(system.pendingAsks).to.equal(2)
      expect(port.failAsksSentTo('node-x', new RangeError('again'))).to.equal(0)
      port.settle(ids[1] as string, { error: new RangeError('y') })
      port.settle(ids[2] as string, { value: 7 })
      expect(await toY.then(() => null, (e: Error) => e.message)).to.equal('y')
      expect(await local).to.equal(7)
    })
  })

  describe('mailbox', () => {
    it('should reject asks with MailboxFullError and count dropped tells when the mailbox is full', async () => {
      const gate = deferred()
      const blocked = system.spawn<CounterMsg, number>({
        init: () => 0,
        async receive (n, msg, ctx) {
          await gate.promise
          if (msg.type === 'get') ctx.reply(msg.replyTo, n)
          return msg.type === 'inc' ? n + 1 : n
        }
      }, { mailbox: 4 })
      // the first message is taken by the (blocked) handler, four more fill the mailbox
      blocked.tell({ type: 'inc', by: 1 })
      await new Promise((resolve) => setImmediate(resolve))
      const accepted = [1, 2, 3, 4, 5, 6].map(() => blocked.tell({ type: 'inc', by: 1 }))
      expect(accepted).to.deep.equal([true, true, true, true, false, false])
      expect(system.stats.tellsDropped).to.equal(2)
      const err = await get(blocked).then(() => null, (e: unknown) => e)
      expect(err).to.have.property('name', 'MailboxFullError')
      expect(err).to.have.property('capacity', 4)
      expect(system.stats.asksRejected).to.equal(1)
      gate.resolve()
      await waitFor(() => system.stats.messagesProcessed >= 5, 'the mailbox to drain')
      expect(await get(blocked)).to.equal(5)
    })

    it('should default the mailbox capacity to the constant', () => {
      expect(constants.DEFAULT_MAILBOX_CAPACITY).to.equal(1024)
      const ref = system.spawn(counter)
      let accepted = 0
      for (let i = 0; i < 2000; i++) if (ref.tell({ type: 'inc', by: 1 })) accepted++
      expect(accepted).to.equal(1024)
    })
  })

  describe('one message at a time', () => {
    it('should never run two handlers of one actor at once, and keep each sender\'s order', async () => {
      await fc.assert(fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 60 }),
        async (plan) => {
          type M = { type: 'note', sender: number, n: number, delay: number } | { type: 'done', replyTo: ReplyTo<Array<[number, number]>> }
          let inFlight = 0
          let maxInFlight = 0
          const seen: Array<[number, number]> = []
          const ref = system.spawn<M, undefined>({
            async receive (_s, msg, ctx) {
              if (msg.type === 'done') { ctx.reply(msg.replyTo, seen); return undefined }
              inFlight++
              maxInFlight = Math.max(maxInFlight, inFlight)
              if (msg.delay > 0) await new Promise((resolve) => setTimeout(resolve, msg.delay))
              else await Promise.resolve()
              seen.push([msg.sender, msg.n])
              inFlight--
              return undefined
            }
          })
          // several concurrent senders, each interleaving its tells with awaits
          const next = new Map<number, number>()
          await Promise.all([0, 1, 2, 3, 4].map(async (sender) => {
            for (const [s, delay] of plan) {
              if (s !== sender) continue
              const n = next.get(sender) ?? 0
              next.set(sender, n + 1)
              ref.tell({ type: 'note', sender, n, delay })
              if (delay % 2 === 1) await Promise.resolve()
            }
          }))
          const order = await ref.ask<Array<[number, number]>>((replyTo) => ({ type: 'done', replyTo }))
          await system.stop(ref)
          expect(maxInFlight).to.equal(1)
          expect(order).to.have.length(plan.length)
          for (const sender of [0, 1, 2, 3, 4]) {
            const mine = order.filter(([s]) => s === sender).map(([, n]) => n)
            expect(mine).to.deep.equal([...mine].sort((a, b) => a - b))
          }
        }), { numRuns: 25, seed: 20261122 })
    })

    it('should yield to other work while one actor has a long queue', async () => {
      // enough work that no machine does it within one 1 ms time slice
      const total = 300_000
      const ref = system.spawn(counter, { mailbox: total })
      for (let i = 0; i < total; i++) ref.tell({ type: 'inc', by: 1 })
      let countWhenTimerFired = -1
      const timer = new Promise<void>((resolve) => setImmediate(() => {
        countWhenTimerFired = system.stats.messagesProcessed
        resolve()
      }))
      await timer
      expect(countWhenTimerFired).to.be.below(total)
      expect(await get(ref)).to.equal(total)
    })
  })

  describe('stop and dead letters', () => {
    it('should reject waiting asks and refuse new messages once an actor is stopped', async () => {
      const gate = deferred()
      const ref = system.spawn<CounterMsg, number>({
        init: () => 0,
        async receive (n, msg, ctx) {
          await gate.promise
          if (msg.type === 'get') ctx.reply(msg.replyTo, n)
          return n
        }
      }, { shutdown: 50 })
      ref.tell({ type: 'inc', by: 1 })
      await new Promise((resolve) => setImmediate(resolve))
      const queued = get(ref).then(() => null, (e: unknown) => e)
      await system.stop(ref)
      expect(await queued).to.have.property('name', 'ActorStoppedError')
      expect(ref.tell({ type: 'inc', by: 1 })).to.equal(false)
      expect(await get(ref).then(() => null, (e: unknown) => e)).to.have.property('name', 'ActorStoppedError')
      expect(system.stats.deadLetters).to.be.at.least(2)
      gate.resolve()
    })

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

    it('should refuse invalid and duplicate names with clear errors', () => {
      system.spawn(counter, { name: 'one' })
      expect(() => system.spawn(counter, { name: 'one' })).to.throw(/already exists/).with.property('name', 'ActorNameTakenError')
      for (const bad of ['', 'a/b', 'tab\there', '$reserved', 'x'.repeat(201)]) {
        expect(() => system.spawn(counter, { name: bad }), bad).to.throw().with.property('name', 'InvalidNameError')
      }
    })

    it('should refuse to spawn once terminated, and reject waiting asks on terminate', async () => {
      const silent = system.spawn<CounterMsg, undefined>({ receive: () => undefined })
      const waiting = get(silent).then(() => null, (e: unknown) => e)
      await waitFor(() => system.stats.messagesProcessed === 1, 'the ask to be handled (and left unanswered)')
      await system.terminate()
      expect(await waiting).to.have.property('name', 'ActorSystemTerminatedError')
      expect(() => system.spawn(counter)).to.throw().with.property('name', 'ActorSystemTerminatedError')
    })
  })

  describe('timers', () => {
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
  })

  describe('idle passivation', () => {
    it('should stop an actor that received nothing for its idle timeout, and not one that is busy', async () => {
      let reason = ''
      const idle = system.spawn<CounterMsg, number>({ ...counter, onStop: (_s, r) => { reason = r.type } }, { idleTimeout: 20 })
      const busy = system.spawn(counter, { idleTimeout: 60 })
      const keepBusy = setInterval(() => busy.tell({ type: 'inc', by: 1 }), 5)
      try {
        await waitFor(() => reason !== '', 'idle passivation', { timeout: 2_000 })
        expect(reason).to.equal('idle')
        // 30 messages 5 ms apart or more: longer than its idle timeout, and it still lives
        await waitFor(async () => await get(busy) >= 30, 'the busy actor to take 30 messages', { timeout: 10_000 })
        expect(system.actors().some((a) => a.path === busy.path)).to.equal(true)
      } finally {
        clearInterval(keepBusy)
      }
    })
  })

  describe('deathwatch', () => {
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
      await waitFor(async () => await get(a).then(() => true, () => false), 'the restart')
      expect(await seen(w)).to.deep.equal([])
      await system.stop(a)
      const late = system.spawn(watcher)
      late.tell({ type: 'watch', target: a as ActorRef<never>, withMessage: false })
      await waitFor(async () => (await seen(late)).length === 1, 'the immediate notification')
    })
  })

  it('should list live actors with their kind, status and mailbox depth', async () => {
    const ref = system.spawn(counter, { name: 'listed', kind: 'test-kind' })
    await get(ref)
    const info = system.actors().find((a) => a.path === '/listed')
    expect(info).to.deep.include({ kind: 'test-kind', status: 'running', mailbox: 0, children: 0 })
    expect(system.stats.actorsByKind.get('test-kind')).to.equal(1)
    await system.stop(ref)
    expect(system.stats.actorsByKind.has('test-kind')).to.equal(false)
  })
})
