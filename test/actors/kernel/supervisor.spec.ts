import { expect } from 'chai'
import { ActorSystem, supervisor } from '../../../actors/index.ts'
import type { ActorRef, ReplyTo } from '../../../actors/index.ts'
import { childrenOf, findChild, worker } from '../../helpers/supervised-workers.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// The OTP supervisor behavior (supervisor.ts): its child specs, their start and stop order, and its
// questions. How it restarts its children is FaultHandling's (fault-handling.spec.ts).
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

  it('should start children left to right, each init finished before the next, and stop them right to left', async () => {
    const sup = system.spawn(supervisor({}, ['a', 'b', 'c'].map((id) => ({ id, start: worker(id, log, counts, 10 - id.charCodeAt(0) % 5) }))))
    await waitFor(async () => (await childrenOf(sup)).length === 3, 'three children')
    expect(log).to.deep.equal(['start:a', 'start:b', 'start:c'])
    await system.stop(sup as ActorRef<never>)
    expect(log.slice(3)).to.deep.equal(['stop:c:shutdown', 'stop:b:shutdown', 'stop:a:shutdown'])
  })

  it('should answer count-children and refuse duplicate child ids', async () => {
    expect(() => supervisor({}, [{ id: 'x', start: worker('x', log, counts) }, { id: 'x', start: worker('x', log, counts) }]))
      .to.throw(/duplicate child id "x"/)
    const sup = system.spawn(supervisor({}, [{ id: 'x', start: worker('x', log, counts) }]))
    expect(await sup.ask((replyTo: ReplyTo<{ specs: number, active: number }>) => ({ type: 'count-children', replyTo })))
      .to.deep.equal({ specs: 1, active: 1 })
  })

  it('should list its live children with their ids, paths and restart types', async () => {
    const sup = system.spawn(supervisor({}, [
      { id: 'a', start: worker('a', log, counts) },
      { id: 'b', start: worker('b', log, counts), restart: 'temporary' }
    ]), { name: 'sup' })
    await waitFor(async () => (await childrenOf(sup)).length === 2, 'two children')
    expect(await childrenOf(sup)).to.deep.equal([
      { id: 'a', path: '/sup/a', restart: 'permanent' },
      { id: 'b', path: '/sup/b', restart: 'temporary' }
    ])
    ;(await findChild(system, sup, 'b')).tell({ type: 'quit' })
    await waitFor(async () => (await childrenOf(sup)).length === 1, 'the temporary child to go')
    expect(await sup.ask((replyTo: ReplyTo<{ specs: number, active: number }>) => ({ type: 'count-children', replyTo }))).to.deep.equal({ specs: 2, active: 1 })
    await system.stop(sup as ActorRef<never>)
  })
})
