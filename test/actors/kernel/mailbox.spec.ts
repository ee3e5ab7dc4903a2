import { expect } from 'chai'
import fc from 'fast-check'
import { ActorSystem, constants } from '../../../actors/index.ts'
import type { ActorRef, ReplyTo } from '../../../actors/index.ts'
import { counter, countOf } from '../../helpers/counter-behavior.ts'
import type { CountMsg } from '../../helpers/counter-behavior.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

// An actor's mailbox and the loop that drains it, through real actors.
describe('Mailbox', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  it('should reject asks with MailboxFullError and count dropped tells when the mailbox is full', async () => {
    const gate = deferred()
    const blocked = system.spawn<CountMsg, number>({
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
    const err = await countOf(blocked).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'MailboxFullError')
    expect(err).to.have.property('capacity', 4)
    expect(system.stats.asksRejected).to.equal(1)
    gate.resolve()
    await waitFor(() => system.stats.messagesProcessed >= 5, 'the mailbox to drain')
    expect(await countOf(blocked)).to.equal(5)
  })

  it('should default the mailbox capacity to the constant', () => {
    expect(constants.DEFAULT_MAILBOX_CAPACITY).to.equal(1024)
    const ref = system.spawn(counter)
    let accepted = 0
    for (let i = 0; i < 2000; i++) if (ref.tell({ type: 'inc', by: 1 })) accepted++
    expect(accepted).to.equal(1024)
  })

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
    expect(await countOf(ref)).to.equal(total)
  })

  it('should take the kernel\'s own notifications past a full mailbox, so that none is lost', async () => {
    type M = { type: 'watch', target: ActorRef<never> } | { type: 'block' } | { type: 'filler' } | { type: 'gone' } | { type: 'count', replyTo: ReplyTo<number> }
    const gate = deferred()
    let gone = 0
    let blocked = false
    const watcher = system.spawn<M, undefined>({
      async receive (_s, msg, ctx) {
        switch (msg.type) {
          case 'watch': ctx.watchWith(msg.target, { type: 'gone' }); break
          case 'block': blocked = true; await gate.promise; break
          case 'gone': gone++; break
          case 'count': ctx.reply(msg.replyTo, gone); break
        }
        return undefined
      }
    }, { mailbox: 2 })
    const target = system.spawn(counter)
    watcher.tell({ type: 'watch', target: target as ActorRef<never> })
    watcher.tell({ type: 'block' })
    await waitFor(() => blocked, 'the watch to be handled and the actor to block')
    expect([watcher.tell({ type: 'filler' }), watcher.tell({ type: 'filler' }), watcher.tell({ type: 'filler' })]).to.deep.equal([true, true, false])
    await system.stop(target as ActorRef<never>)
    gate.resolve()
    await waitFor(async () => await watcher.ask<number>((replyTo) => ({ type: 'count', replyTo })).catch(() => -1) === 1, 'the notification')
  })

  it('should handle what is queued before it stops when the actor asks to stop after the current message', async () => {
    type M = { type: 'note', text: string } | { type: 'quit' }
    const seen: string[] = []
    const ref = system.spawn<M, undefined>({
      receive (_s, msg, ctx) {
        if (msg.type === 'quit') void ctx.stop()
        else seen.push(msg.text)
        return undefined
      }
    })
    ref.tell({ type: 'note', text: 'before' })
    ref.tell({ type: 'quit' })
    ref.tell({ type: 'note', text: 'after' })
    await waitFor(() => system.actors().length === 1, 'the actor to stop (only /entities left)')
    expect(seen).to.deep.equal(['before'])
    expect(system.stats.deadLetters, 'the message queued behind the stop').to.equal(1)
  })
})
