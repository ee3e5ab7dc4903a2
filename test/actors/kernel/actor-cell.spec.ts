import { expect } from 'chai'
import { ActorSystem, InvalidMessageError } from '../../../actors/index.ts'
import type { ReplyTo } from '../../../actors/index.ts'
import { counter, countOf } from '../../helpers/counter-behavior.ts'
import type { CountMsg } from '../../helpers/counter-behavior.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

// The runtime of one actor: its state, its lifecycle, its failures and refusals, through real actors.
describe('ActorCell', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

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

  it('should reject waiting asks and refuse new messages once an actor is stopped', async () => {
    const gate = deferred()
    const ref = system.spawn<CountMsg, number>({
      init: () => 0,
      async receive (n, msg, ctx) {
        await gate.promise
        if (msg.type === 'get') ctx.reply(msg.replyTo, n)
        return n
      }
    }, { shutdown: 50 })
    ref.tell({ type: 'inc', by: 1 })
    await new Promise((resolve) => setImmediate(resolve))
    const queued = countOf(ref).then(() => null, (e: unknown) => e)
    await system.stop(ref)
    expect(await queued).to.have.property('name', 'ActorStoppedError')
    expect(ref.tell({ type: 'inc', by: 1 })).to.equal(false)
    expect(await countOf(ref).then(() => null, (e: unknown) => e)).to.have.property('name', 'ActorStoppedError')
    expect(system.stats.deadLetters).to.be.at.least(2)
    gate.resolve()
  })

  it('should survive handlers that reject, throw non-errors, and onStop hooks that throw', async () => {
    type M = { type: 'reject' } | { type: 'throw-string' } | { type: 'ok', replyTo: ReplyTo<string> }
    let inits = 0
    const ref = system.spawn<M, undefined>({
      init () { inits++; return undefined },
      async receive (_s, msg, ctx) {
        if (msg.type === 'reject') return await Promise.reject(new Error('async failure'))
        if (msg.type === 'throw-string') throw 'not an error'
        ctx.reply(msg.replyTo, 'ok')
        return undefined
      },
      onStop () { throw new Error('cleanup failed') }
    })
    ref.tell({ type: 'reject' })
    await waitFor(() => inits === 2, 'restart after a rejection')
    ref.tell({ type: 'throw-string' })
    await waitFor(() => inits === 3, 'restart after a thrown string')
    expect(await ref.ask<string>((replyTo) => ({ type: 'ok', replyTo }))).to.equal('ok')
    expect(system.stats.failures).to.equal(2)
  })

  it('should refuse a peer\'s message its behavior\'s checkPeer rejects, before the mailbox, and take its own node\'s', async () => {
    type M = { type: 'push', n: number } | { type: 'count', replyTo: ReplyTo<number> }
    let pushes = 0
    const gateway = system.spawn<M, undefined>({
      checkPeer (msg) {
        if ((msg as { type?: unknown }).type !== 'push') throw new InvalidMessageError('type: a gateway takes only pushes from peers')
      },
      receive (_s, msg, ctx) {
        if (msg.type === 'push') pushes++
        else ctx.reply(msg.replyTo, pushes)
        return undefined
      }
    }, { name: 'gateway' })
    const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {} })
    expect(port.deliverToActor('/gateway', { type: 'count', replyTo: { askId: 'x', node: 'peer' } }, true)).to.be.instanceOf(InvalidMessageError)
    expect(system.stats.refusals).to.equal(1)
    expect(port.deliverToActor('/gateway', { type: 'push', n: 1 }, true)).to.equal('ok')
    expect(port.deliverToActor('/nobody', { type: 'push', n: 1 }, true)).to.equal('stopped')
    expect(await gateway.ask<number>((replyTo) => ({ type: 'count', replyTo }))).to.equal(1)
  })

  it('should report its path, kind, status, mailbox and children', async () => {
    const gate = deferred()
    const parent = system.spawn<{ type: 'spawn' }, undefined>({
      receive (_s, _msg, ctx) {
        ctx.spawn({ receive: async (s) => { await gate.promise; return s } }, { name: 'child' })
        return undefined
      }
    }, { name: 'parent', kind: 'test-parent' })
    parent.tell({ type: 'spawn' })
    await waitFor(() => system.lookup('/parent/child') !== undefined, 'the child')
    const child = system.lookup<string>('/parent/child')
    child?.tell('a')
    child?.tell('b')
    await waitFor(() => system.actors().find((a) => a.path === '/parent/child')?.mailbox === 1, 'one message in flight, one waiting')
    expect(system.actors().filter((a) => a.path.startsWith('/parent'))).to.deep.equal([
      { path: '/parent', kind: 'test-parent', status: 'running', mailbox: 0, children: 1 },
      { path: '/parent/child', kind: 'actor', status: 'running', mailbox: 1, children: 0 }
    ])
    gate.resolve()
  })
})
