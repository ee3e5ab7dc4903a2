import { expect } from 'chai'
import { ActorStoppedError, AskTimeoutError, MailboxFullError, SystemStats } from '../../../actors/index.ts'
import type { DeliveryResult, ReplyTo } from '../../../actors/index.ts'
import { PendingAsks } from '../../../actors/kernel/pending-asks.ts'

/** A target that keeps what it is given, or answers with a fixed result. */
function target (result: DeliveryResult = 'ok'): { path: string, capacity: number, got: Array<{ replyTo: ReplyTo<unknown> }>, deliver: (msg: { replyTo: ReplyTo<unknown> }) => DeliveryResult } {
  const got: Array<{ replyTo: ReplyTo<unknown> }> = []
  return { path: '/t', capacity: 8, got, deliver: (msg) => { if (result === 'ok') got.push(msg); return result } }
}

describe('PendingAsks', () => {
  it('should settle each ask exactly once, by id, and ignore a late or second reply', async () => {
    const observed: string[] = []
    const asks = new PendingAsks('n1', new SystemStats(), (_ms, outcome) => { observed.push(outcome) })
    const t = target()
    const first = asks.ask(t, (replyTo) => ({ replyTo }))
    const second = asks.ask(t, (replyTo) => ({ replyTo }))
    const [a, b] = t.got.map((m) => m.replyTo)
    expect(a?.node).to.equal('n1')
    expect(asks.size).to.equal(2)
    expect(asks.resolve(a as ReplyTo<number>, 1)).to.equal(true)
    expect(asks.resolve(a as ReplyTo<number>, 2)).to.equal(false)
    expect(asks.reject(b as ReplyTo<unknown>, new RangeError('no'))).to.equal(true)
    expect(await first).to.equal(1)
    expect(await second.then(() => null, (e: Error) => e.message)).to.equal('no')
    expect([asks.size, observed]).to.deep.equal([0, ['ok', 'error']])
  })

  it('should reject at once what the target refuses: full, stopped, an error, or a request that cannot be built', async () => {
    const stats = new SystemStats()
    const asks = new PendingAsks('n1', stats)
    expect(await asks.ask(target('full'), (replyTo) => ({ replyTo })).catch((e: unknown) => e)).to.be.instanceOf(MailboxFullError)
    expect(await asks.ask(target('stopped'), (replyTo) => ({ replyTo })).catch((e: unknown) => e)).to.be.instanceOf(ActorStoppedError)
    const refused = new RangeError('no owner')
    expect(await asks.ask(target(refused), (replyTo) => ({ replyTo })).catch((e: unknown) => e)).to.equal(refused)
    expect(await asks.ask(target(), () => { throw new TypeError('bad request') }).catch((e: Error) => e.message)).to.equal('bad request')
    expect([asks.size, stats.asksRejected]).to.deep.equal([0, 1])
  })

  it('should time asks out in creation order with one timer per timeout value', async () => {
    const stats = new SystemStats()
    const asks = new PendingAsks('n1', stats)
    const t = target()
    const results = await Promise.allSettled([10, 10, 30].map((timeout) => asks.ask(t, (replyTo) => ({ replyTo }), { timeout })))
    for (const r of results) expect((r as PromiseRejectedResult).reason).to.be.instanceOf(AskTimeoutError)
    expect((results[2] as PromiseRejectedResult).reason.message).to.equal('no reply from /t within 30 ms')
    expect([asks.size, stats.asksTimedOut]).to.deep.equal([0, 3])
    expect(await asks.ask(t, (replyTo) => ({ replyTo }), { timeout: 0 }).catch((e: Error) => e.message)).to.match(/positive number of ms/)
  })

  it('should reject with the abort reason, and at once when the signal is already aborted', async () => {
    const asks = new PendingAsks('n1', new SystemStats())
    const t = target()
    const controller = new AbortController()
    const waiting = asks.ask(t, (replyTo) => ({ replyTo }), { signal: controller.signal })
    controller.abort(new Error('client went away'))
    expect(await waiting.catch((e: Error) => e.message)).to.equal('client went away')
    expect(await asks.ask(t, (replyTo) => ({ replyTo }), { signal: controller.signal }).catch((e: Error) => e.message)).to.equal('client went away')
    expect(asks.size).to.equal(0)
  })

  it('should fail the asks sent to a lost node, and those only; and every ask on rejectAll', async () => {
    const asks = new PendingAsks('n1', new SystemStats())
    const t = target()
    // the mesh tags the ask being handed over (the usual case) or any other by id
    const remote = asks.ask(t, (replyTo) => ({ replyTo }))
    asks.sentTo((t.got[0] as { replyTo: ReplyTo<unknown> }).replyTo.askId, 'n2')
    const local = asks.ask(t, (replyTo) => ({ replyTo }))
    expect(asks.rejectSentTo('n2', new Error('n2 is gone'))).to.equal(1)
    expect(await remote.catch((e: Error) => e.message)).to.equal('n2 is gone')
    asks.rejectAll(new Error('terminated'))
    expect(await local.catch((e: Error) => e.message)).to.equal('terminated')
    expect(asks.size).to.equal(0)
  })

  it('should fail only the asks of actors on a node that left gracefully, keeping those of entities it passed on', async () => {
    const asks = new PendingAsks('n1', new SystemStats())
    const t = target()
    const ofActor = asks.ask(t, (replyTo) => ({ replyTo }))
    const ofEntity = asks.ask(t, (replyTo) => ({ replyTo }))
    const [actorAsk, entityAsk] = t.got.map((m) => (m as { replyTo: ReplyTo<unknown> }).replyTo)
    asks.sentTo(actorAsk?.askId as string, 'n2')
    asks.sentTo(entityAsk?.askId as string, 'n2', true)
    expect(asks.rejectSentTo('n2', new Error('n2 left'), true)).to.equal(1)
    expect(await ofActor.catch((e: Error) => e.message)).to.equal('n2 left')
    expect(asks.size).to.equal(1)
    expect(asks.resolve(entityAsk as ReplyTo<unknown>, 'from its new owner')).to.equal(true)
    expect(await ofEntity).to.equal('from its new owner')
  })
})
