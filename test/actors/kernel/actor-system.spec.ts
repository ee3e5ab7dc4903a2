import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { ActorRef, ReplyTo } from '../../../actors/index.ts'
import { counter, countOf } from '../../helpers/counter-behavior.ts'
import type { CountMsg } from '../../helpers/counter-behavior.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

// The system's public face: spawn, ask and tell, lookups, listings, terminate.
describe('ActorSystem', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  it('should apply told messages in order and answer an ask with a typed reply', async () => {
    const ref = system.spawn(counter, { name: 'counter' })
    for (let i = 1; i <= 100; i++) expect(ref.tell({ type: 'inc', by: i })).to.equal(true)
    const total: number = await countOf(ref)
    expect(total).to.equal(5050)
    expect(ref.path).to.equal('/counter')
  })

  it('should infer the reply type from the request', async () => {
    const ref = system.spawn(counter)
    const n = await ref.ask((replyTo: ReplyTo<number>) => ({ type: 'get', replyTo }))
    expect(n.toFixed(0)).to.equal('0')
  })

  it('should reject an ask with AskTimeoutError when no reply comes in time', async () => {
    const silent = system.spawn<CountMsg, undefined>({ receive: () => undefined })
    const started = performance.now()
    const err = await countOf(silent, 50).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'AskTimeoutError')
    expect(err).to.have.property('timeoutMs', 50)
    expect(performance.now() - started).to.be.at.least(45)
    expect(system.stats.asksTimedOut).to.equal(1)
    expect(system.pendingAsks).to.equal(0)
  })

  it('should reject an ask with the abort reason when its signal aborts', async () => {
    const received = deferred()
    const silent = system.spawn<CountMsg, undefined>({ receive: () => { received.resolve() } })
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
    const err = await countOf(ref, 0).then(() => null, (e: unknown) => e)
    expect(err).to.be.instanceOf(RangeError)
    expect((err as Error).message).to.match(/ask timeout must be a positive number/)
  })

  it('should ignore a late reply after the ask timed out', async () => {
    const gate = deferred()
    const slow = system.spawn<CountMsg, undefined>({
      async receive (_s, msg, ctx) {
        if (msg.type === 'get') { await gate.promise; ctx.reply(msg.replyTo, 1) }
        return undefined
      }
    })
    const err = await countOf(slow, 20).then(() => null, (e: unknown) => e)
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

  it('should refuse to spawn once terminated, and reject waiting asks on terminate', async () => {
    const silent = system.spawn<CountMsg, undefined>({ receive: () => undefined })
    const waiting = countOf(silent).then(() => null, (e: unknown) => e)
    await waitFor(() => system.stats.messagesProcessed === 1, 'the ask to be handled (and left unanswered)')
    await system.terminate()
    expect(await waiting).to.have.property('name', 'ActorSystemTerminatedError')
    expect(() => system.spawn(counter)).to.throw().with.property('name', 'ActorSystemTerminatedError')
  })

  it('should list live actors with their kind, status and mailbox depth', async () => {
    const ref = system.spawn(counter, { name: 'listed', kind: 'test-kind' })
    await countOf(ref)
    const info = system.actors().find((a) => a.path === '/listed')
    expect(info).to.deep.include({ kind: 'test-kind', status: 'running', mailbox: 0, children: 0 })
    expect(system.stats.actorsByKind.get('test-kind')).to.equal(1)
    await system.stop(ref)
    expect(system.stats.actorsByKind.has('test-kind')).to.equal(false)
  })

  it('should count its actors, entities and waiting messages as its lists do, without listing them (load)', async () => {
    let open!: () => void
    const gate = new Promise<void>((resolve) => { open = resolve })
    const slow = system.spawn<CountMsg, undefined>({ async receive () { await gate; return undefined } }, { name: 'slow' })
    const parent = system.spawn<CountMsg, undefined>({ init: (ctx) => { ctx.spawn(counter, { name: 'child' }) }, receive: () => undefined }, { name: 'parent' })
    for (let i = 0; i < 3; i++) slow.tell({ type: 'inc', by: 1 })
    await waitFor(() => system.actors().some((a) => a.path === '/parent/child'), 'the child to start')
    const actors = system.actors()
    const load = system.load()
    expect(load).to.deep.equal({ actors: actors.length, entities: system.entities().length, mailbox: actors.reduce((sum, a) => sum + a.mailbox, 0) })
    expect(load.mailbox, 'the two behind the one in flight').to.be.at.least(2)
    open()
    await system.stop(slow)
    await system.stop(parent)
  })

  it('should find live actors by path and address, and give a dead-letter ref for a path with no actor', async () => {
    const ref = system.spawn(counter, { name: 'found' })
    expect(system.lookup('/found')).to.equal(ref)
    expect([system.lookup('found'), system.lookup('/'), system.lookup('/found/child')]).to.deep.equal([undefined, undefined, undefined])
    expect(system.actorAt({ node: system.node, path: '/found' })).to.equal(ref)
    const nobody = system.actorAt<CountMsg>({ node: system.node, path: '/nobody' })
    expect(nobody.tell({ type: 'inc', by: 1 })).to.equal(false)
    expect(await countOf(nobody).catch((e: Error) => e.name)).to.equal('ActorStoppedError')
    // another node, with no mesh attached: nothing reaches it
    expect(system.actorAt<CountMsg>({ node: 'elsewhere', path: '/found' }).tell({ type: 'inc', by: 1 })).to.equal(false)
  })

  it('should refuse a mailbox capacity that is not a positive integer, and a ref that is not one of its actors', async () => {
    expect(() => new ActorSystem({ mailboxCapacity: 0 })).to.throw(RangeError, /mailboxCapacity must be a positive integer/)
    const other = new ActorSystem()
    const stranger = other.actorAt({ node: 'elsewhere', path: '/x' })
    expect(await system.stop(stranger as ActorRef<never>).catch((e: Error) => e.message)).to.match(/is not an actor of this system/)
    await other.terminate()
    expect(system.terminated).to.equal(false)
    await system.terminate()
    expect(system.terminated).to.equal(true)
  })
})
