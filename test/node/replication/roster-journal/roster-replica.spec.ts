import { expect } from 'chai'
import { ROSTER_ENTITY, ROSTER_REPLICA_PATH, RosterKeeper, RosterReplica, rosterEnv } from '../../../../node/index.ts'
import type { RosterReplicaMsg, RosterVersion } from '../../../../node/index.ts'
import { useTestCluster } from '../../../helpers/test-cluster.ts'
import type { TestNode } from '../../../helpers/test-cluster.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

/** The roster journal's replicas on three nodes, its keeper asking them over the mesh (real libp2p on
 * loopback, real LevelDB in temp dirs). */
describe('RosterReplica (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  const opened: Array<{ replica: RosterReplica, remove: () => Promise<void> }> = []
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.replica.close()
      await o.remove()
    }
  })
  const replicaOn = async (node: TestNode): Promise<RosterReplica> => {
    const dir = await tempDir()
    const replica = await RosterReplica.open(dir.path)
    opened.push({ replica, remove: dir.remove })
    replica.spawn(node.system)
    return replica
  }
  const keeperOn = async (node: TestNode, replica: RosterReplica, applied: RosterVersion[], seen: RosterVersion[]): Promise<RosterKeeper> =>
    await RosterKeeper.open({
      env: rosterEnv({ self: node.id, system: () => node.system, local: replica.core }),
      self: node.id,
      applied,
      ...(applied.length === 0 && { form: [{ peerId: node.id, capacity: 1 }] }),
      activation: `keeper-${node.id.slice(-6)}-${seen.length}`,
      onVersion: (v) => { seen.push(v) }
    })

  it('should keep the roster journal on every storage node of a version, and go on under a keeper on another node', async () => {
    const [a, b, c] = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const replicas = [await replicaOn(a), await replicaOn(b), await replicaOn(c)]
    const seen: RosterVersion[] = []
    const first = await keeperOn(a, replicas[0] as RosterReplica, [], seen)
    expect((await first.propose(1, { kind: 'join', peerId: b.id, capacity: 1 })).ok).to.equal(true)
    expect((await first.propose(2, { kind: 'join', peerId: c.id, capacity: 2 })).ok).to.equal(true)
    first.close()
    // version 3 is on a majority of its set; the take under it asked every node of it, each of which
    // stores the version as the request lands
    const heads = await Promise.all(replicas.map(async (r) => (await r.core.handle({ op: 'summary', entity: ROSTER_ENTITY })).head))
    expect(heads.filter((h) => h >= 3).length, `heads ${heads.join(', ')}`).to.be.at.least(2)
    await waitFor(async () => (await Promise.all(replicas.map(async (r) => await r.core.versions.of(0)))).every((v) => v === 3), 'every node of version 3 to store it')
    // a keeper on b, a's node gone: b and c are a majority of version 3's set
    await a.stop()
    const onB: RosterVersion[] = []
    const second = await keeperOn(b, replicas[1] as RosterReplica, seen.slice(1), onB)
    const made = await second.propose(3, { kind: 'capacity', peerId: c.id, capacity: 3 })
    expect(made.ok).to.equal(true)
    expect(onB.map((v) => v.version)).to.deep.equal([4])
    expect((await second.entries(1)).map((v) => v.version)).to.deep.equal([1, 2, 3, 4])
    second.close()
  })

  it('should refuse what is not a request for the roster journal, and answer on', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    await replicaOn(b)
    const holder = a.system.actorAt<RosterReplicaMsg>({ node: b.id, path: ROSTER_REPLICA_PATH })
    const ask = async (request: unknown): Promise<unknown> => await holder.ask<unknown>((replyTo) => ({ type: 'replica', request, replyTo }) as unknown as RosterReplicaMsg, { timeout: 5_000 }).then((r) => r, (e: unknown) => e)
    for (const request of [{ op: 'fence', entity: 'room/x', epoch: 3, activation: 'x' }, { op: 'drop-all', entity: ROSTER_ENTITY }, { op: 'fence', entity: ROSTER_ENTITY, epoch: -1, activation: 'x' }, null]) {
      expect(await ask(request), JSON.stringify(request)).to.have.property('name', 'InvalidReplicaRequestError')
    }
    expect(await ask({ op: 'fence', entity: ROSTER_ENTITY, epoch: 3, activation: 'x' })).to.deep.include({ ok: true })
  })
})
