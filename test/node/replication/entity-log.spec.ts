import { expect } from 'chai'
import { EntityLog, LevelReplicaStorage, LevelStore, ReplicaCore, ReplicasUnavailableError } from '../../../node/index.ts'
import type { OwnerEnv, ReplicaRequest, ReplyOf } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

/**
 * The owner's fence rule with learners (docs/replication.md, "Replica moves"): a new replica that
 * is still catching up promises epochs like any replica, but never stands in for a replica that
 * holds the partition. Four real replicas (LevelDB in temp dirs), reached through an env that can
 * make any of them unreachable.
 */
describe('entity log', () => {
  const NODES = ['a', 'b', 'c', 'd'] as const
  let dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  let stores: LevelStore[] = []
  let cores: Map<string, ReplicaCore>
  const down = new Set<string>()

  beforeEach(async () => {
    down.clear()
    dirs = await Promise.all(NODES.map(async () => await tempDir()))
    stores = await Promise.all(dirs.map(async (d) => await LevelStore.open(d.path)))
    cores = new Map(await Promise.all(NODES.map(async (n, i) => [n, new ReplicaCore(await LevelReplicaStorage.open(stores[i] as LevelStore, 4))] as const)))
  })
  afterEach(async () => {
    await Promise.all(stores.map(async (s) => { await s.close() }))
    await Promise.all(dirs.map(async (d) => { await d.remove() }))
  })

  const env: OwnerEnv = {
    call: async <R extends ReplicaRequest>(node: string, request: R): Promise<ReplyOf<R>> => {
      if (down.has(node)) throw new ReplicasUnavailableError(request.entity, `asking ${node}`, 1, 0, `${node} is unreachable`)
      return await (cores.get(node) as ReplicaCore).handle(request)
    },
    timer: (ms, fn) => {
      const t = setTimeout(fn, ms)
      return () => { clearTimeout(t) }
    },
    random: Math.random,
    now: Date.now,
    live: (node) => !down.has(node)
  }
  const open = (replicas: string[], activation: string): Promise<EntityLog> =>
    EntityLog.open({ entityId: 'room/moved', replicas, writeQuorum: 2, activation, env, appendTimeoutMs: 5_000 })
  const posts = (from: number, to: number): Array<{ seq: number, event: { n: number } }> =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, event: { n: from + i } }))

  /** Five posts acknowledged on a and c while b was unreachable; then c is lost for good and d
   * takes its place in the set, empty. */
  const onlyOnAAndC = async (): Promise<void> => {
    down.add('b')
    const first = await open(['a', 'b', 'c'], 'first')
    await first.append(posts(1, 5))
    first.close()
    down.delete('b')
    down.add('c')
  }

  it('should not take the entity from a learner and one replica while another replica of the set does not answer', async () => {
    await onlyOnAAndC()
    cores.get('d')?.setLearner(true)
    down.add('a')
    const err = await open(['a', 'b', 'd'], 'second').then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(ReplicasUnavailableError)
    expect((err as Error).message).to.match(/d still catching up as a new replica, and a did not answer/)
    // a answers again: the journal is whole, and the learner is written to as any replica
    down.delete('a')
    const third = await open(['a', 'b', 'd'], 'third')
    expect(third.head).to.equal(5)
    expect((await third.read(1, 10)).map((r) => r.event)).to.deep.equal(posts(1, 5).map((p) => p.event))
    await third.append(posts(6, 6))
    third.close()
    expect((await cores.get('d')?.handle({ op: 'summary', entity: 'room/moved' }))?.head).to.be.greaterThan(0)
  })

  it('should lose the acknowledged posts if a new replica counted as a full one before it caught up (what the rule prevents)', async () => {
    await onlyOnAAndC()
    // d not a learner: b and d are a fence quorum, and neither holds the five posts
    down.add('a')
    const second = await open(['a', 'b', 'd'], 'second')
    expect(second.head).to.equal(0)
    second.close()
  })

  it('should take the entity from a learner and the other replicas when every one of them answers', async () => {
    await onlyOnAAndC()
    cores.get('d')?.setLearner(true)
    const second = await open(['a', 'b', 'd'], 'second')
    expect(second.head).to.equal(5)
    second.close()
  })
})
