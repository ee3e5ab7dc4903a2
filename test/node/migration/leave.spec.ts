import { expect } from 'chai'
import { Leave, LeaveRefusedError } from '../../../node/migration/index.ts'
import type { LeaveMode, LeaveOptions } from '../../../node/migration/index.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'
import { OneNode } from './fixtures/one-node.ts'

describe('Leave (one node, a real migrator)', function () {
  this.timeout(20_000)
  const node = new OneNode()
  beforeEach(async () => { await node.setup() })
  afterEach(async () => { await node.teardown() })

  /** A leave whose steps are recorded in `steps`; `handOffs` are what the storage hand-off says, in turn. */
  const leave = (over: Partial<LeaveOptions> = {}, handOffs: Array<{ state: string, waiting: string[] } | undefined> = []): { leave: Leave, steps: string[], stopped: Promise<void> } => {
    const steps: string[] = []
    const stopped = deferred<void>()
    const l = new Leave({
      migrator: node.migrator,
      entities: () => node.system.entities().length,
      check: (mode: LeaveMode) => { steps.push(`check ${mode}`) },
      dropRoles: () => { steps.push('drop roles') },
      handOff: () => { steps.push('hand-off?'); return handOffs.shift() },
      markLeft: async () => { steps.push('mark left') },
      stop: async () => { steps.push('stop'); stopped.resolve() },
      log: { info: () => undefined, warn: (_o: object, msg: string) => { steps.push(`warn: ${msg}`) } },
      ...over
    })
    return { leave: l, steps, stopped: stopped.promise }
  }

  it('should drain once: stop the node, and answer a second ask, of either mode, with how the first goes', async () => {
    const { leave: l, steps, stopped } = leave()
    expect(l.mode).to.equal(undefined)
    const first = l.request('drain')
    expect(first).to.include({ mode: 'drain', total: 0, entities: 0 })
    await stopped
    expect(l.request('decommission').mode).to.equal('drain')
    expect(l.status().state).to.equal('stopping')
    expect(steps).to.deep.equal(['check drain', 'stop'])
  })

  it('should decommission in its order: roles dropped, moves waited for, the storage hand-off waited for, the mark, then the stop', async () => {
    const { leave: l, steps, stopped } = leave({}, [{ state: 'handing-off', waiting: ['partition 3 to n2'] }, { state: 'done', waiting: [] }])
    l.request('decommission')
    await waitFor(() => l.status().state === 'handing-off', 'the hand-off to begin', { timeout: 5_000, interval: 5 })
    expect(l.status().left).to.deep.equal([{ item: 'storage hand-off', why: 'partition 3 to n2' }])
    await stopped
    expect(steps).to.deep.equal(['check decommission', 'drop roles', 'hand-off?', 'hand-off?', 'mark left', 'stop'])
  })

  it('should refuse a leave that would leave the cluster short, starting nothing', () => {
    const { leave: l, steps } = leave({ check: () => { throw new LeaveRefusedError('this node is the only chat member') } })
    expect(() => l.request('drain')).to.throw(LeaveRefusedError)
    expect(l.mode).to.equal(undefined)
    expect(steps).to.deep.equal([])
  })

  it('should stop the node when a decommission fails, saying why', async () => {
    const { leave: l, steps, stopped } = leave({ markLeft: async () => { throw new Error('disk full') } }, [{ state: 'done', waiting: [] }])
    l.request('decommission')
    await stopped
    expect(steps.filter((s) => s.startsWith('warn:'))).to.deep.equal(['warn: decommission failed: Error: disk full; stopping'])
  })
})
