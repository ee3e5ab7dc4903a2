import { expect } from 'chai'
import { LEASE_BATCH_FALLBACK_MS, MAX_LEASE_BATCH } from '../../../../node/replication/constants.ts'
import { LeaseBatches } from '../../../../node/replication/journal/lease-batches.ts'
import type { BatchItem, BatchItemOutcome, LeaseRequest } from '../../../../node/replication/replica/replica-batch.ts'

/** The gathering of lease requests per node and turn; the batches' wire is replica-batch.spec.ts. */
describe('LeaseBatches', () => {
  let now: number
  let deferred: Array<() => void>
  let batches: Array<{ node: string, items: readonly BatchItem[] }>
  let singles: Array<{ node: string, request: LeaseRequest }>
  let answer: (node: string, items: readonly BatchItem[]) => Promise<readonly BatchItemOutcome[]>
  const lease = (entity: string, epoch = 3): LeaseRequest => ({ op: 'lease', entity, epoch, activation: 'a', holder: 'a' })
  const make = (): LeaseBatches => new LeaseBatches({
    send: async (node, items) => {
      batches.push({ node, items })
      return await answer(node, items)
    },
    single: async (node, _partition, request) => {
      singles.push({ node, request })
      return { result: 'ok' }
    },
    defer: (fn) => { deferred.push(fn) },
    clock: () => now
  })
  const turn = (): void => { for (const fn of deferred.splice(0)) fn() }

  beforeEach(() => {
    now = 0
    deferred = []
    batches = []
    singles = []
    answer = async (_node, items) => items.map((i) => ({ reply: i.request.op === 'lease' && i.request.epoch < 3 ? { result: 'stale', promised: 3 } : { result: 'ok' } }))
  })

  it('should send one message per node for the requests of one turn, and answer each request with its own item', async () => {
    const b = make()
    const replies = [b.call('n1', 0, lease('agent/a')), b.call('n2', 1, lease('agent/b')), b.call('n1', 2, lease('agent/c', 2)), b.call('n1', 3, { op: 'release', entity: 'agent/d', holder: 'h' })]
    expect(batches).to.have.length(0)
    turn()
    expect(batches.map((x) => [x.node, x.items.length])).to.deep.equal([['n1', 3], ['n2', 1]])
    expect(await Promise.all(replies)).to.deep.equal([{ result: 'ok' }, { result: 'ok' }, { result: 'stale', promised: 3 }, { result: 'ok' }])
    // the next turn's requests go in the next message
    const next = b.call('n1', 0, lease('agent/a'))
    turn()
    await next
    expect(batches).to.have.length(3)
  })

  it(`should cut a turn's requests to one node into batches of ${MAX_LEASE_BATCH}`, async () => {
    const b = make()
    const replies = Array.from({ length: MAX_LEASE_BATCH + 3 }, (_, i) => b.call('n1', 0, lease(`agent/u${i}`)))
    turn()
    await Promise.all(replies)
    expect(batches.map((x) => x.items.length)).to.deep.equal([MAX_LEASE_BATCH, 3])
  })

  it('should fail every request of a batch that fails with its error, and an item alone with its own', async () => {
    const b = make()
    answer = async (_node, items) => items.length > 1 ? await Promise.reject(Object.assign(new Error('n1 did not answer'), { name: 'AskTimeoutError' })) : [{ error: new Error('disk full') }]
    const both = [b.call('n1', 0, lease('agent/a')), b.call('n1', 0, lease('agent/b'))].map(async (p) => await p.then(() => null, (e: Error) => e.name))
    turn()
    expect(await Promise.all(both)).to.deep.equal(['AskTimeoutError', 'AskTimeoutError'])
    const one = b.call('n1', 0, lease('agent/a')).then(() => null, (e: Error) => e.message)
    turn()
    expect(await one).to.equal('disk full')
  })

  it('should send each request on its own to a node without a replica-batch actor (an older version), and try a batch again later', async () => {
    const b = make()
    answer = async () => await Promise.reject(Object.assign(new Error('no actor'), { name: 'ActorStoppedError' }))
    const first = [b.call('old', 0, lease('agent/a')), b.call('old', 1, lease('agent/b'))]
    turn()
    expect(await Promise.all(first)).to.deep.equal([{ result: 'ok' }, { result: 'ok' }])
    expect(singles.map((s) => s.request.entity)).to.deep.equal(['agent/a', 'agent/b'])
    // meanwhile straight on their own, no batch tried
    await b.call('old', 0, lease('agent/c'))
    expect(batches).to.have.length(1)
    now += LEASE_BATCH_FALLBACK_MS
    answer = async (_node, items) => items.map(() => ({ reply: { result: 'ok' } }))
    const later = b.call('old', 0, lease('agent/d'))
    turn()
    await later
    expect(batches).to.have.length(2)
  })
})
