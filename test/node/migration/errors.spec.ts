import { expect } from 'chai'
import { WireErrors } from '../../../node/mesh/index.ts'
import * as migration from '../../../node/migration/errors.ts'
import { kindOf } from '../../../protocols/index.ts'

const samples: Error[] = [
  new migration.MoveRefusedError('room/r', 'this node is draining'),
  new migration.LeaveRefusedError('this node is the only chat member'),
  new migration.NotLeavingError('n1'),
  new migration.DecommissionedError('/data', 'n1', '2025-01-01T00:00:00.000Z')
]

describe('migration errors', () => {
  it('should have a sample here of every error class migration exports, each named after its class, each a conflict', () => {
    const classes = Object.values(migration).filter((v) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error)
    expect(samples.map((e) => e.constructor)).to.have.members(classes)
    for (const err of samples) {
      expect(err.name).to.equal(err.constructor.name)
      expect(kindOf(err), err.name).to.equal('conflict')
    }
  })

  it('should say what went wrong and what to do', () => {
    expect(samples[0]?.message).to.equal('room/r cannot move here: this node is draining')
    expect((samples[0] as migration.MoveRefusedError).entity).to.equal('room/r')
    expect(samples[2]?.message).to.match(/^n1 is not leaving: the process asked to leave has exited/)
    expect(samples[3]?.message).to.match(/belongs to node n1, decommissioned at 2025-01-01T00:00:00.000Z: .*Start a new node with an empty --data-dir/)
    expect(new migration.DecommissionedError('/data', undefined, undefined).message).to.match(/belongs to node \(unknown\), decommissioned: /)
  })

  it('should cross the wire as themselves once the migration folder\'s errors are handed in', () => {
    const wire = new WireErrors([migration])
    for (const err of samples) expect(wire.fromWire(wire.toWire(err), 'p2'), err.name).to.be.instanceOf(err.constructor as new (...args: never[]) => Error)
  })
})
