import { expect } from 'chai'
import {
  EntityLogClosedError, FenceContendedError, InvalidLogTicketError, InvalidReplicaReplyError, InvalidReplicaRequestError, PartitionsMismatchError,
  ReplicaRetiredError, ReplicasUnavailableError, StaleEpochError, UnknownPartitionError, replicasReachable, replicasUnavailable
} from '../../../node/replication/errors.ts'
import { errorData } from '../../../protocols/index.ts'

/** Replication's failures, one class each, matched by name and kind (never by message text). */
describe('replication errors', () => {
  it('should name each failure and give it the kind a client is answered with', () => {
    const kinds = [
      [new StaleEpochError('room/a', 3, 4), 'StaleEpochError', 'unavailable'],
      [new ReplicasUnavailableError('room/a', 'writing seq 2', 2, 1), 'ReplicasUnavailableError', 'unavailable'],
      [new FenceContendedError('room/a', 6), 'FenceContendedError', 'unavailable'],
      [new InvalidReplicaRequestError('x'), 'InvalidReplicaRequestError', 'invalid'],
      [new InvalidReplicaReplyError('x'), 'InvalidReplicaReplyError', 'invalid'],
      [new InvalidLogTicketError('x'), 'InvalidLogTicketError', 'invalid'],
      [new EntityLogClosedError('room/a'), 'EntityLogClosedError', 'unavailable'],
      [new PartitionsMismatchError('/d', 256, 64), 'PartitionsMismatchError', 'invalid'],
      [new UnknownPartitionError(9, 8), 'UnknownPartitionError', 'not-found'],
      [new ReplicaRetiredError('room/a'), 'ReplicaRetiredError', 'unavailable']
    ] as const
    for (const [err, name, kind] of kinds) {
      expect(err, name).to.be.instanceOf(Error)
      expect(err.name).to.equal(name)
      expect(err.kind, name).to.equal(kind)
    }
    // a newer owner's epoch: what waited for the stale one goes to the new one
    expect(new StaleEpochError('room/a', 3, 4)).to.include({ superseded: true, epoch: 3, promised: 4 })
  })

  it('should word a lost quorum once, leading with what a client can do nothing about, its fields crossing the wire', () => {
    expect(replicasUnavailable('write', 2, 1)).to.equal('writes unavailable: 1 of the 2 replicas a write needs is reachable')
    expect(replicasReachable('read', 1, 0)).to.equal('0 of the 1 replica a read needs are reachable')
    const err = new ReplicasUnavailableError('room/a', 'reading seq 4', 2, 1, 'b: down')
    expect(err.op).to.equal('read')
    expect(err.message).to.equal('reads unavailable: 1 of the 2 replicas a read needs is reachable (room/a, reading seq 4: b: down); retry when more storage nodes are up')
    // no stack trace: a state of the cluster, not a fault of the code
    expect(err.stack).to.equal(`ReplicasUnavailableError: ${err.message}`)
    expect(errorData(err)).to.deep.include({ name: 'ReplicasUnavailableError', kind: 'unavailable' })
    expect(new ReplicasUnavailableError('room/a', 'taking the entity', 2, 0)).to.include({ op: 'write', needed: 2, answered: 0, entity: 'room/a' })
  })
})
