import { expect } from 'chai'
import { fenceRound, holdsFence } from '../../../../node/replication/journal/fence-round.ts'
import type { FenceRound } from '../../../../node/replication/journal/fence-round.ts'
import { useReplicaSet } from '../fixtures/replica-set.ts'

const E = 'room/fenced'

/** Fences sent to real replicas (LevelDB in temp dirs), as an owner taking an entity sends them. */
describe('fenceRound', () => {
  const set = useReplicaSet(['a', 'b', 'c'])
  const fence = (epoch: number, activation = 'act'): { op: 'fence', entity: string, epoch: number, activation: string } => ({ op: 'fence', entity: E, epoch, activation })

  it('should gather the promises and say what refused, with the highest promise a refusal reported', async () => {
    await (set.cores.get('b'))?.handle(fence(50, 'newer'))
    set.down.add('c')
    const round = await fenceRound(set.env, ['a', 'b', 'c'], fence(10), () => false)
    expect([...round.oks.keys()]).to.deep.equal(['a'])
    expect(round).to.include({ refused: 1, highest: 50, leaseWait: 0 })
    expect(round.errors).to.have.length(1)
    expect(round.errors[0]).to.match(/^c: /)
    expect(round.sentAt.has('a')).to.equal(true)
  })

  it('should settle once it has enough, without waiting for the rest', async () => {
    // c answers only after the test lets it: the round must not wait for it
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => { release = resolve })
    const call = set.env.call
    const env = { ...set.env, call: async (node: string, request: never) => { if (node === 'c') await held; return await call(node, request) } }
    const round = await fenceRound(env as typeof set.env, ['a', 'b', 'c'], fence(10), (r) => holdsFence(r, ['a', 'b', 'c'], 2))
    expect(round.oks.size).to.equal(2)
    release()
  })

  it('should ask a node that did not answer again, up to its tries, while it is not known to be down', async () => {
    let failures = 2
    const call = set.env.call
    const env = { ...set.env, live: () => true, call: async (node: string, request: never) => { if (node === 'a' && failures-- > 0) throw Object.assign(new Error('no answer'), { kind: 'timeout' }); return await call(node, request) } }
    const round = await fenceRound(env as typeof set.env, ['a'], fence(10), () => false, 3)
    expect([...round.oks.keys()]).to.deep.equal(['a'])
    // asked once only: it fails
    failures = 1
    const once = await fenceRound(env as typeof set.env, ['a'], fence(11), () => false, 1)
    expect(once.oks.size).to.equal(0)
    expect(once.failures).to.have.length(1)
  })

  it('should hold the entity with a learner among the promises only when every replica of the set promised', () => {
    const round = (oks: string[], learners: string[]): FenceRound => ({ oks: new Map(oks.map((n) => [n, { promised: 1, head: 0, headEpoch: 0, segments: [], snapshotSeq: 0 }])), sentAt: new Map(), leaseWait: 0, learners: new Set(learners), refused: 0, highest: undefined, errors: [], failures: [] })
    expect(holdsFence(round(['a', 'b'], []), ['a', 'b', 'c'], 2)).to.equal(true)
    expect(holdsFence(round(['a'], []), ['a', 'b', 'c'], 2)).to.equal(false)
    expect(holdsFence(round(['a', 'b'], ['b']), ['a', 'b', 'c'], 2)).to.equal(false)
    expect(holdsFence(round(['a', 'b', 'c'], ['b']), ['a', 'b', 'c'], 2)).to.equal(true)
  })
})
