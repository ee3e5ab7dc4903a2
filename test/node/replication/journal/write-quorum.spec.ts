import { expect } from 'chai'
import { ReplicasUnavailableError, WriteQuorum, fenceQuorum, majority, partitionOf, replicasOf } from '../../../../node/index.ts'
import type { WriteQuorumOptions } from '../../../../node/index.ts'
import { ServiceFailures } from '../../../../node/services/index.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

/** Log lines as a node's logger gets them. */
interface Line { readonly obj: Record<string, unknown>, readonly msg: string }

/**
 * The write quorum as a node sees it (docs/operations.md, "Quorum loss"): the partitions' replicas
 * by the same rendezvous placement a node uses, the members up as the test says. Nothing here runs
 * on a timer: update() is called where a node's view would change.
 */
describe('write quorum', () => {
  const PARTITIONS = 16
  let live: Set<string>
  let lines: Line[]

  /** A quorum over `storage` nodes, R = min(3, nodes), W a majority unless given; 'a' is this node. */
  const quorumOf = (storage: readonly string[], opts: { writeQuorum?: number, fixedRoster?: boolean } = {}): WriteQuorum => {
    const roster = storage.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    const r = Math.min(3, roster.length)
    const options: WriteQuorumOptions = {
      self: 'a',
      partitions: PARTITIONS,
      placement: (p) => ({ replicas: replicasOf(p, roster, r), writeQuorum: opts.writeQuorum ?? majority(r) }),
      partitionOf: (entity) => partitionOf(entity, PARTITIONS),
      live: () => live,
      log: { warn: (obj, msg) => { lines.push({ obj: obj as Record<string, unknown>, msg }) } },
      ...(opts.fixedRoster !== undefined && { fixedRoster: opts.fixedRoster }),
      // never on its own during a test: update() is called
      intervalMs: 3_600_000
    }
    return new WriteQuorum(options)
  }
  let quorum: WriteQuorum | undefined
  beforeEach(() => {
    live = new Set()
    lines = []
  })
  afterEach(async () => { await quorum?.stop() })

  it('should say writes are available when every partition has W replicas up, and unavailable on every partition when one of two is down', () => {
    live = new Set(['b'])
    quorum = quorumOf(['a', 'b'])
    expect(quorum.state()).to.deep.equal({
      available: true, needed: 2, writeQuorum: 2, replicas: 2, storageNodes: 2, storageUp: 2, partitions: PARTITIONS, unavailablePartitions: 0, down: []
    })
    live.delete('b')
    expect(quorum.state()).to.include({ available: false, storageUp: 1, unavailablePartitions: PARTITIONS })
    expect(quorum.state().down).to.deep.equal(['b'])
  })

  it('should answer state() again without looking at every partition while the members live and the roster stay the same, and look again after either changed', () => {
    // placement as the journal gives it: the same object per partition while the roster is the same
    let roster = ['a', 'b', 'c'].map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    let placed = new Map<number, { replicas: string[], writeQuorum: number }>()
    let looks = 0
    const placement = (p: number): { replicas: string[], writeQuorum: number } => {
      looks++
      const known = placed.get(p)
      if (known !== undefined) return known
      const made = { replicas: replicasOf(p, roster, 3), writeQuorum: 2 }
      placed.set(p, made)
      return made
    }
    live = new Set(['b', 'c'])
    quorum = new WriteQuorum({ self: 'a', partitions: PARTITIONS, placement, partitionOf: (e) => partitionOf(e, PARTITIONS), live: () => live, log: { warn: () => undefined }, intervalMs: 3_600_000 })
    const first = quorum.state()
    expect(first).to.include({ available: true, storageNodes: 3 })
    looks = 0
    expect(quorum.state()).to.equal(first)
    expect(looks, 'the first partition\'s placement alone').to.equal(1)
    live.delete('c')
    expect(quorum.state()).to.include({ storageUp: 2 }).and.not.equal(first)
    // a new roster: the journal answers new placements for every partition
    roster = [...roster, { peerId: 'd', roles: ['storage'], capacity: 1 }]
    placed = new Map()
    live.add('d')
    expect(quorum.state()).to.include({ storageNodes: 4, storageUp: 3 })
  })

  it('should need the fence quorum where it is more than W (R=3, W=1: taking an entity needs all three)', () => {
    live = new Set(['b', 'c'])
    quorum = quorumOf(['a', 'b', 'c'], { writeQuorum: 1 })
    expect(fenceQuorum(3, 1)).to.equal(3)
    expect(quorum.state()).to.include({ available: true, needed: 3, writeQuorum: 1 })
    live.delete('c')
    quorum.start()
    // an open journal can still write (1 of 1 needed), a new activation cannot be taken
    expect(quorum.blocked(0)).to.equal(false)
    const refused = captured(() => { quorum?.checkTake('room/r', 0) })
    expect(refused).to.be.instanceOf(ReplicasUnavailableError)
    expect(refused?.message).to.match(/^writes unavailable: 2 of the 3 replicas a write needs are reachable \(room\/r, taking the entity: down: c\)/)
  })

  it('should skip a look with the roster unchanged and the same members live (a view refreshed with nothing new), and never one after either changed', () => {
    live = new Set(['b', 'c'])
    const storage = ['a', 'b', 'c']
    const roster = storage.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    let placements = 0
    quorum = new WriteQuorum({
      self: 'a',
      partitions: PARTITIONS,
      placement: (p) => { placements++; return { replicas: replicasOf(p, roster, 3), writeQuorum: 2 } },
      partitionOf: (entity) => partitionOf(entity, PARTITIONS),
      live: () => live,
      log: { warn: (obj, msg) => { lines.push({ obj: obj as Record<string, unknown>, msg }) } },
      intervalMs: 3_600_000
    })
    quorum.start()
    const looked = placements
    quorum.update(true)
    expect(placements, 'same members, same roster: skipped').to.equal(looked)
    quorum.update(false)
    expect(placements, 'the roster changed: looked again').to.equal(looked + PARTITIONS)
    live.delete('b')
    live.delete('c')
    quorum.update(true)
    expect(placements, 'other members live: looked again').to.be.at.least(looked + 2 * PARTITIONS)
    expect(quorum.blocked(0), 'and it saw them down').to.equal(true)
  })

  it('should log one warning line, with no stack, when writes become unavailable, and one when they are available again', () => {
    live = new Set(['b', 'c'])
    quorum = quorumOf(['a', 'b', 'c'])
    quorum.start()
    quorum.update()
    expect(lines, 'nothing to say while the quorum holds').to.deep.equal([])
    live.delete('b')
    quorum.update()
    expect(lines, 'one of three down loses no quorum').to.deep.equal([])
    live.delete('c')
    quorum.update()
    quorum.update()
    quorum.update()
    expect(lines).to.have.length(1)
    expect(lines[0]?.msg).to.equal(`writes unavailable on ${PARTITIONS} of ${PARTITIONS} partitions: 1 of the 2 replicas a write needs is reachable (storage nodes down: b, c); their entities answer UNAVAILABLE until enough are back`)
    expect(lines[0]?.obj).to.not.have.property('err')
    expect(JSON.stringify(lines[0]?.obj)).to.not.include('    at ')
    live.add('c')
    quorum.update()
    quorum.update()
    expect(lines).to.have.length(2)
    expect(lines[1]?.msg).to.equal('writes available again on every partition: 2 of 3 storage nodes up, a write needs 2')
  })

  it('should tell its listeners once of each partition that newly cannot write, and refuse writes there', () => {
    live = new Set(['b'])
    quorum = quorumOf(['a', 'b'])
    const told: number[][] = []
    quorum.onBlocked((partitions) => { told.push([...partitions]) })
    quorum.start()
    expect(quorum.blocked(3)).to.equal(false)
    live.clear()
    quorum.update()
    quorum.update()
    expect(told).to.deep.equal([Array.from({ length: PARTITIONS }, (_, p) => p)])
    expect(quorum.blocked(3)).to.equal(true)
    const err = quorum.writeRefusal('room/r', 3)
    expect(err.message).to.match(/^writes unavailable: 1 of the 2 replicas a write needs is reachable \(room\/r, a write: down: b\); retry when more storage nodes are up$/)
    expect({ needed: err.needed, answered: err.answered, entity: err.entity, op: err.op, kind: err.kind }).to.deep.equal({ needed: 2, answered: 1, entity: 'room/r', op: 'write', kind: 'unavailable' })
    // logged where it stops an activation, it carries no stack: a state of the cluster, not a fault
    expect(err.stack).to.equal(`ReplicasUnavailableError: ${err.message}`)
  })

  it('should let every write through before it starts (a node not yet in the mesh has no view to judge by) and once it stopped (a node shutting down)', () => {
    quorum = quorumOf(['a', 'b'])
    quorum.update()
    expect(quorum.blocked(0)).to.equal(false)
    expect(captured(() => { quorum?.checkTake('room/r', 0) })).to.equal(undefined)
    expect(lines).to.deep.equal([])
    quorum.start()
    expect(quorum.blocked(0)).to.equal(true)
    quorum.stop()
    expect(quorum.blocked(0)).to.equal(false)
    expect(captured(() => { quorum?.checkTake('room/r', 0) })).to.equal(undefined)
  })

  it('should say what a drain would cost: every partition with two storage nodes, none with three, then all once one of three is down', () => {
    live = new Set(['b'])
    quorum = quorumOf(['a', 'b'])
    expect(quorum.lossIfDown('b')).to.deep.equal({ partitions: PARTITIONS, up: 1, needed: 2 })
    expect(quorum.lossIfDown('zz'), 'a member that holds no replica').to.equal(undefined)
    live = new Set(['b', 'c'])
    quorum = quorumOf(['a', 'b', 'c'])
    expect(quorum.lossIfDown('b')).to.equal(undefined)
    live.delete('c')
    expect(quorum.lossIfDown('b')).to.deep.equal({ partitions: PARTITIONS, up: 1, needed: 2 })
    expect(quorum.lossIfDown('c'), 'a member already down').to.equal(undefined)
  })

  it('should count only the partitions a drain takes below their quorum (five storage nodes, one down)', () => {
    const storage = ['a', 'b', 'c', 'd', 'e']
    live = new Set(['b', 'c', 'd'])
    quorum = quorumOf(storage)
    const roster = storage.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    // the partitions whose replicas hold both e (down) and b: draining b leaves them 1 of 3 up
    const both = Array.from({ length: PARTITIONS }, (_, p) => replicasOf(p, roster, 3)).filter((r) => r.includes('e') && r.includes('b')).length
    expect(both, 'the placement of this test spreads replicas over the five').to.be.within(1, PARTITIONS - 1)
    expect(quorum.lossIfDown('b')).to.deep.equal({ partitions: both, up: 1, needed: 2 })
  })

  it('should say what a decommission or a storage role taken away would cost, and nothing for a node alone', () => {
    live = new Set(['b'])
    quorum = quorumOf(['a', 'b'])
    expect(quorum.lossIfLeaves('b')).to.deep.equal({ partitions: PARTITIONS, up: 1, needed: 2 })
    live = new Set(['b', 'c'])
    quorum = quorumOf(['a', 'b', 'c'])
    expect(quorum.lossIfLeaves('b')).to.equal(undefined)
    quorum = quorumOf(['a'], { fixedRoster: true })
    expect(quorum.lossIfLeaves('a')).to.equal(undefined)
  })

  it('should look again an interval after each look, as a supervised service whose failed looks are counted', async () => {
    const failures = new ServiceFailures()
    let looks = 0
    let broken = false
    const roster = ['a', 'b', 'c'].map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    quorum = new WriteQuorum({
      self: 'a',
      partitions: 4,
      placement: (p) => {
        looks++
        if (broken) throw new Error('no placement')
        return { replicas: replicasOf(p, roster, 3), writeQuorum: 2 }
      },
      partitionOf: (entity) => partitionOf(entity, 4),
      live: () => live,
      log: { warn: () => undefined },
      intervalMs: 5,
      failures
    })
    quorum.start()
    // the first look at once, in start
    expect(looks).to.be.at.least(4)
    await waitFor(() => looks >= 12, 'two more looks')
    broken = true
    await waitFor(() => failures.of('write-quorum') >= 1, 'a failed look counted')
    await quorum.stop()
    // stopped: every write passes again
    expect(quorum.blocked(0)).to.equal(false)
  })
})

function captured (fn: () => void): Error | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    return err as Error
  }
}
