import { expect } from 'chai'
import { ActorSystem, supervisor } from '../../../actors/index.ts'
import type { Behavior, SupervisorIntensityError } from '../../../actors/index.ts'
import { accountType, causes, deposit, useEntityNode } from '../../helpers/kernel-entities.ts'
import { childrenOf, findChild, stateOf, worker } from '../../helpers/supervised-workers.ts'
import type { WorkerMsg } from '../../helpers/supervised-workers.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// How an actor handles its children's exits: OTP's restart types, strategies, intensity and
// backoff (docs/architecture.md, "Supervision"), through supervisors of logging workers.
describe('FaultHandling', () => {
  let system: ActorSystem
  let log: string[]
  let counts: Map<string, number>
  beforeEach(() => {
    system = new ActorSystem()
    log = []
    counts = new Map()
  })
  afterEach(async () => { await system.terminate() })

  it('should restart only the failed child with one-for-one, keeping its mailbox', async () => {
    const sup = system.spawn(supervisor({ strategy: 'one-for-one', backoff: { min: 30, max: 30 } },
      ['a', 'b', 'c'].map((id) => ({ id, start: worker(id, log, counts) }))))
    await waitFor(async () => (await childrenOf(sup)).length === 3, 'three children')
    const b = await findChild(system, sup, 'b')
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
    const b = await findChild(system, sup, 'b')
    log.length = 0
    b.tell({ type: 'crash' })
    await waitFor(() => log.length === 6, 'the group restart')
    expect(log).to.deep.equal(['stop:b:failed', 'stop:c:shutdown', 'stop:a:shutdown', 'start:a', 'start:b', 'start:c'])
  })

  it('should restart the failed child and those started after it with rest-for-one', async () => {
    const sup = system.spawn(supervisor({ strategy: 'rest-for-one', backoff: { min: 1, max: 1 } },
      ['a', 'b', 'c', 'd'].map((id) => ({ id, start: worker(id, log, counts) }))))
    await waitFor(async () => (await childrenOf(sup)).length === 4, 'four children')
    const b = await findChild(system, sup, 'b')
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
    ;(await findChild(system, sup, 'perm')).tell({ type: 'quit' })
    ;(await findChild(system, sup, 'trans')).tell({ type: 'quit' })
    ;(await findChild(system, sup, 'trans2')).tell({ type: 'crash' })
    ;(await findChild(system, sup, 'temp')).tell({ type: 'crash' })
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
    const w = await findChild(system, sup, 'w')
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
    const bad = await findChild(system, sup, 'bad')
    const good = await findChild(system, sup, 'good')
    good.tell({ type: 'crash' })
    bad.tell({ type: 'crash' })
    await waitFor(() => counts.get('bad') === 2, 'the first restart')
    bad.tell({ type: 'crash' })
    await waitFor(async () => (await childrenOf(sup)).length === 1, 'the bad child to be stopped')
    expect((await childrenOf(sup)).map((c) => c.id)).to.deep.equal(['good'])
    expect((await stateOf(good)).incarnation).to.equal(2)
  })

  describe('entities', () => {
    const node = useEntityNode()

    it('should stop, not restart in a loop, an entity whose journal cannot be taken (replicas unavailable), and take it on the next message', async () => {
      let unavailable = true
      const system = await node.open([accountType()], {
        wrap: (real) => ({
          open: async (id: string) => {
            if (unavailable) throw Object.assign(new Error(`${id}: taking the entity needs 2 replicas, 1 answered`), { name: 'ReplicasUnavailableError', kind: 'unavailable' })
            return await real.open(id)
          }
        })
      })
      const err = await deposit(system, 'lena', 1).then(() => null, (e: unknown) => e as Error)
      expect(err?.name).to.equal('ActorStoppedError')
      expect(causes(err)).to.include('ReplicasUnavailableError')
      expect(system.stats.restarts).to.equal(0)
      unavailable = false
      expect(await deposit(system, 'lena', 1)).to.equal(1)
    })
  })
})
