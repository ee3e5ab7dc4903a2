import { expect } from 'chai'
import { MAX_AFFINITY_KEYS } from '../../../runtimes/llama/constants.ts'
import { WorkerAffinity } from '../../../runtimes/llama/worker-affinity.ts'
import { interleave, model, runtime } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

interface Worker { name: string, active: number, conversations: number }
const workers = (...names: string[]): Worker[] => names.map((name) => ({ name, active: 0, conversations: 0 }))

describe('WorkerAffinity', function () {
  this.timeout(120_000)

  it('should send a conversation back to the worker that ran it while that worker has a free context', () => {
    const [a, b] = workers('a', 'b') as [Worker, Worker]
    const affinity = new WorkerAffinity([a, b], 1)
    expect(affinity.route('x')).to.equal(a)
    expect(affinity.route('y')).to.equal(b)
    expect(affinity.route('x')).to.equal(a)
    expect(affinity.route('y')).to.equal(b)
    expect(affinity.holding(['y', 'x', 'y', 'nobody'])).to.deep.equal([b, a])
  })

  it('should move a conversation to the least busy worker when its own has no free context', () => {
    const [a, b] = workers('a', 'b') as [Worker, Worker]
    const affinity = new WorkerAffinity([a, b], 1)
    expect(affinity.route('x')).to.equal(a)
    a.active = 1
    expect(affinity.route('x')).to.equal(b)
    expect([a.conversations, b.conversations]).to.deep.equal([0, 1])
    expect(affinity.holding(['x'])).to.deep.equal([b])
  })

  it('should spread requests without a key over the least busy workers, and remember nothing of them', () => {
    const [a, b] = workers('a', 'b') as [Worker, Worker]
    const affinity = new WorkerAffinity([a, b], 2)
    a.active = 1
    expect(affinity.route(undefined)).to.equal(b)
    b.active = 1
    // equally busy: the one given fewer conversations
    affinity.route('x')
    expect(affinity.route(undefined)).to.equal(b)
    expect([a.conversations, b.conversations]).to.deep.equal([1, 0])
  })

  it('should forget the oldest conversation beyond its bound, and count it off its worker', () => {
    const [a] = workers('a') as [Worker]
    const affinity = new WorkerAffinity([a], 1)
    for (let i = 0; i <= MAX_AFFINITY_KEYS; i++) affinity.route(`k${i}`)
    expect(a.conversations).to.equal(MAX_AFFINITY_KEYS)
    expect(affinity.holding(['k0'])).to.deep.equal([])
    expect(affinity.holding([`k${MAX_AFFINITY_KEYS}`])).to.deep.equal([a])
  })

  it('should refuse to route over no worker', () => {
    expect(() => new WorkerAffinity([], 1)).to.throw(RangeError)
  })

  describe('through LlamaRuntime on the generated model', () => {
    let dir: { path: string, remove: () => Promise<void> }
    before(async () => { dir = await tempDir() })
    after(async () => { await dir?.remove() })

    it('should send each conversation to the worker that holds its cache when there are 2 workers', async () => {
      const rt = runtime(await model(dir.path, 'tiny'), { workers: 2, cachedSequences: 1 })
      try {
        await rt.load()
        const results = await interleave(rt, ['a', 'b'], 3)
        for (const key of ['a', 'b']) {
          expect((results.get(key) ?? []).slice(1).map((r) => r.cache?.source)).to.deep.equal(['memory', 'memory'])
        }
      } finally {
        await rt.unload()
      }
    })
  })
})
