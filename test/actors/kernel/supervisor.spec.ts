import { expect } from 'chai'
import { ActorSystem, supervisor } from '../../../actors/index.ts'
import type { ActorRef, Behavior, ChildInfo, ReplyTo, SupervisionFlags, SupervisorIntensityError, SupervisorMsg } from '../../../actors/index.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

type WorkerMsg =
  | { type: 'crash' }
  | { type: 'quit' }
  | { type: 'hang' }
  | { type: 'note', text: string }
  | { type: 'state', replyTo: ReplyTo<{ incarnation: number, notes: string[] }> }

interface WorkerState { incarnation: number, notes: string[] }

/** A worker that logs its starts and stops to a shared log and counts its incarnations. */
function worker (name: string, log: string[], counts: Map<string, number>, initDelay = 0): () => Behavior<WorkerMsg, WorkerState> {
  return () => ({
    async init () {
      if (initDelay > 0) await new Promise((resolve) => setTimeout(resolve, initDelay))
      const incarnation = (counts.get(name) ?? 0) + 1
      counts.set(name, incarnation)
      log.push(`start:${name}`)
      return { incarnation, notes: [] }
    },
    async receive (state, msg, ctx) {
      switch (msg.type) {
        case 'crash': throw new Error(`${name} crashed`)
        case 'quit': void ctx.stop(); return state
        case 'hang':
          log.push(`hang:${name}`)
          await new Promise(() => {})
          return state
        case 'note': return { ...state, notes: [...state.notes, msg.text] }
        case 'state': ctx.reply(msg.replyTo, state); return state
      }
    },
    onStop (_state, reason) { log.push(`stop:${name}:${reason.type}`) }
  })
}

const stateOf = (ref: ActorRef<WorkerMsg>): Promise<WorkerState> =>
  ref.ask<WorkerState>((replyTo) => ({ type: 'state', replyTo }), { timeout: 3_000 })

const childrenOf = (sup: ActorRef<SupervisorMsg>): Promise<ChildInfo[]> =>
  sup.ask<ChildInfo[]>((replyTo) => ({ type: 'which-children', replyTo }))

describe('supervisor', () => {
  let system: ActorSystem
  let log: string[]
  let counts: Map<string, number>
  beforeEach(() => {
    system = new ActorSystem()
    log = []
    counts = new Map()
  })
  afterEach(async () => { await system.terminate() })

  async function findChild (sup: ActorRef<SupervisorMsg>, id: string): Promise<ActorRef<WorkerMsg>> {
    await waitFor(() => system.lookup(`${sup.path}/${id}`) !== undefined, `child ${id}`)
    return system.lookup(`${sup.path}/${id}`) as ActorRef<WorkerMsg>
  }

  it('should start children left to right, each init finished before the next, and stop them right to left', async () => {
    const sup = system.spawn(supervisor({}, ['a', 'b', 'c'].map((id) => ({ id, start: worker(id, log, counts, 10 - id.charCodeAt(0) % 5) }))))
    await waitFor(async () => (await childrenOf(sup)).length === 3, 'three children')
    expect(log).to.deep.equal(['start:a', 'start:b', 'start:c'])
    await system.stop(sup as ActorRef<never>)
    expect(log.slice(3)).to.deep.equal(['stop:c:shutdown', 'stop:b:shutdown', 'stop:a:shutdown'])
  })

  it('should restart only the failed child with one-for-one, keeping its mailbox', async () => {
    const sup = system.spawn(supervisor({ strategy: 'one-for-one', backoff: { min: 30, max: 30 } },
      ['a', 'b', 'c'].map((id) => ({ id, start: worker(id, log, counts) }))))
    await waitFor(async () => (await childrenOf(sup)).length === 3, 'three children')
    const b = await findChild(sup, 'b')
    log.length = 0
    b.tell({ type: 'note', text: 'before' })
    b.tell({ type: 'crash' })
    b.tell({ type: 'note', text: 'queued during the restart' })
    const state = await stateOf(b)
    expect(state.incarnation).to.equal(2)
    expect(state.notes).to.deep.equal(['queued during the restart'])
    expect(log).to.deep.equal(['stop:b:failed', 'start:b'])
    expect(counts.get('a')).to.equal(1)
    expect(counts.get('c')).to.equal(1)
  })

  it('should restart every child with one-for-all: the failed one cleaned up first, then right to left, then start left to right', async () => {
    const sup = system.spawn(supervisor({ strategy: 'one-for-all', backoff: { min: 1, max: 1 } },
      ['a', 'b', 'c'].map((id) => ({ id, start: worker(id, log, counts) }))))
    await waitFor(async () => (await childrenOf(sup)).length === 3, 'three children')
    const b = await findChild(sup, 'b')
    log.length = 0
    b.tell({ type: 'crash' })
    await waitFor(() => log.length === 6, 'the group restart')
    expect(log).to.deep.equal(['stop:b:failed', 'stop:c:shutdown', 'stop:a:shutdown', 'start:a', 'start:b', 'start:c'])
  })

  it('should restart the failed child and those started after it with rest-for-one', async () => {
    const sup = system.spawn(supervisor({ strategy: 'rest-for-one', backoff: { min: 1, max: 1 } },
      ['a', 'b', 'c', 'd'].map((id) => ({ id, start: worker(id, log, counts) }))))
    await waitFor(async () => (await childrenOf(sup)).length === 4, 'four children')
    const b = await findChild(sup, 'b')
    log.length = 0
    b.tell({ type: 'crash' })
    await waitFor(() => log.length === 6, 'the rest restart')
    expect(log).to.deep.equal(['stop:b:failed', 'stop:d:shutdown', 'stop:c:shutdown', 'start:b', 'start:c', 'start:d'])
    expect(counts.get('a')).to.equal(1)
  })

  it('should restart permanent children on any exit, transient ones only on failure, temporary ones never', async () => {
    const sup = system.spawn(supervisor({ backoff: { min: 1, max: 1 } }, [
      { id: 'perm', start: worker('perm', log, counts), restart: 'permanent' },
      { id: 'trans', start: worker('trans', log, counts), restart: 'transient' },
      { id: 'trans2', start: worker('trans2', log, counts), restart: 'transient' },
      { id: 'temp', start: worker('temp', log, counts), restart: 'temporary' }
    ]))
    await waitFor(async () => (await childrenOf(sup)).length === 4, 'four children')
    ;(await findChild(sup, 'perm')).tell({ type: 'quit' })
    ;(await findChild(sup, 'trans')).tell({ type: 'quit' })
    ;(await findChild(sup, 'trans2')).tell({ type: 'crash' })
    ;(await findChild(sup, 'temp')).tell({ type: 'crash' })
    await waitFor(() => counts.get('perm') === 2 && counts.get('trans2') === 2, 'the restarts')
    await waitFor(async () => (await childrenOf(sup)).length === 2, 'the non-restarted children to go')
    expect((await childrenOf(sup)).map((c) => c.id)).to.deep.equal(['perm', 'trans2'])
    expect(counts.get('trans')).to.equal(1)
    expect(counts.get('temp')).to.equal(1)
  })

  it('should wait an exponentially growing backoff between restarts', async () => {
    const sup = system.spawn(supervisor({ intensity: 10, backoff: { min: 20, max: 80, factor: 2 } },
      [{ id: 'w', start: worker('w', log, counts) }]))
    await waitFor(async () => (await childrenOf(sup)).length === 1, 'the child')
    const w = await findChild(sup, 'w')
    const gaps: number[] = []
    for (let i = 0; i < 4; i++) {
      const before = counts.get('w') ?? 0
      const crashedAt = performance.now()
      w.tell({ type: 'crash' })
      await waitFor(() => counts.get('w') === before + 1, `restart ${i + 1}`, { timeout: 3_000, interval: 1 })
      gaps.push(performance.now() - crashedAt)
    }
    const expected = [20, 40, 80, 80]
    gaps.forEach((gap, i) => {
      // a timer may fire up to ~1 ms early; the upper bound only says the restart did happen
      expect(gap, `restart ${i + 1}`).to.be.at.least((expected[i] as number) - 2).and.below((expected[i] as number) + 2_000)
    })
  })

  it('should give up after more than intensity restarts within the period and escalate up to the root', async () => {
    await system.terminate()
    const escalations: SupervisorIntensityError[] = []
    system = new ActorSystem({ supervision: { intensity: 0 }, onEscalation: (err) => escalations.push(err) })
    let attempts = 0
    const crasher = (): Behavior<WorkerMsg, undefined> => ({
      init () { attempts++; throw new Error('cannot start') },
      receive: (s) => s
    })
    system.spawn(supervisor({ intensity: 0 }, [{
      id: 'inner',
      start: () => supervisor({ intensity: 2, backoff: { min: 1, max: 1 } }, [{ id: 'crasher', start: crasher }])
    }]), { name: 'outer' })
    await waitFor(() => escalations.length === 1, 'the escalation to reach the root')
    expect(attempts).to.equal(3)
    const chain: string[] = []
    for (let err: unknown = escalations[0]; err instanceof Error; err = err.cause) chain.push(`${err.name}@${(err as SupervisorIntensityError).supervisor ?? err.message}`)
    expect(chain).to.deep.equal([
      'SupervisorIntensityError@/', 'SupervisorIntensityError@/outer', 'SupervisorIntensityError@/outer/inner', 'Error@cannot start'
    ])
    expect(system.stats.escalations).to.equal(3)
    expect(system.actors().map((a) => a.path)).to.deep.equal(['/entities'])
  })

  it('should count restarts per child with scope child, and stop only the child that exceeds', async () => {
    const sup = system.spawn(supervisor({ scope: 'child', intensity: 1, backoff: { min: 1, max: 1 } },
      ['bad', 'good'].map((id) => ({ id, start: worker(id, log, counts) }))))
    await waitFor(async () => (await childrenOf(sup)).length === 2, 'two children')
    const bad = await findChild(sup, 'bad')
    const good = await findChild(sup, 'good')
    good.tell({ type: 'crash' })
    bad.tell({ type: 'crash' })
    await waitFor(() => counts.get('bad') === 2, 'the first restart')
    bad.tell({ type: 'crash' })
    await waitFor(async () => (await childrenOf(sup)).length === 1, 'the bad child to be stopped')
    expect((await childrenOf(sup)).map((c) => c.id)).to.deep.equal(['good'])
    expect((await stateOf(good)).incarnation).to.equal(2)
  })

  it('should stop within the shutdown time even when a child\'s handler never returns', async () => {
    const sup = system.spawn(supervisor({}, [{ id: 'stuck', start: worker('stuck', log, counts), shutdown: 30 }]))
    await waitFor(async () => (await childrenOf(sup)).length === 1, 'the child')
    const stuck = await findChild(sup, 'stuck')
    stuck.tell({ type: 'hang' })
    await waitFor(() => log.includes('hang:stuck'), 'the handler to hang')
    const started = performance.now()
    await system.stop(sup as ActorRef<never>)
    expect(performance.now() - started).to.be.at.least(25)
    expect(log).to.include('stop:stuck:shutdown')
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

  it('should answer count-children and refuse duplicate child ids', async () => {
    expect(() => supervisor({}, [{ id: 'x', start: worker('x', log, counts) }, { id: 'x', start: worker('x', log, counts) }]))
      .to.throw(/duplicate child id "x"/)
    const sup = system.spawn(supervisor({}, [{ id: 'x', start: worker('x', log, counts) }]))
    expect(await sup.ask((replyTo: ReplyTo<{ specs: number, active: number }>) => ({ type: 'count-children', replyTo })))
      .to.deep.equal({ specs: 1, active: 1 })
  })

  it('should refuse invalid supervision flags with a message naming the field', () => {
    expect(() => system.spawn(supervisor({ intensity: -1 }, []))).to.throw(/supervision.intensity must be an integer >= 0/)
    expect(() => system.spawn(supervisor({ strategy: 'all-for-one' as 'one-for-all' }, []))).to.throw(/supervision.strategy must be one of/)
    expect(() => system.spawn(supervisor({ backoff: { min: 100, max: 10 } }, []))).to.throw(/backoff.max \(10\) must be >= backoff.min \(100\)/)
    expect(() => system.spawn(supervisor({ backoff: { factor: 0.5 } }, []))).to.throw(/backoff.factor must be a number >= 1/)
  })
})
