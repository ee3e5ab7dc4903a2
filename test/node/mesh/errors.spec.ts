import { expect } from 'chai'
import * as mesh from '../../../node/mesh/errors.ts'
import { WireErrors } from '../../../node/mesh/wire-errors.ts'
import { ERROR_KINDS, kindOf } from '../../../protocols/index.ts'

/** One instance of every error class of the mesh, as the mesh makes them. */
const samples: Error[] = [
  new mesh.NoOwnerError('agent', 'ai'),
  new mesh.PeerUnreachableError('p2', 'its stream closed'),
  new mesh.MessageTooLargeError(5_000_000, 4_194_288),
  new mesh.InvalidRolesError('no such role: cook'),
  new mesh.InvalidPeerRequestError('a KV cache message is an object'),
  new mesh.UnknownPeerError('no member p9 is up'),
  new mesh.ClusterKeyError('not a cluster key'),
  new mesh.InvalidMemberRecordError('member record from p2: garbage'),
  new mesh.PinLimitError('room/r', 512)
]

describe('mesh errors', () => {
  it('should have a sample here of every error class the mesh exports', () => {
    const classes = Object.values(mesh).filter((v) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error)
    expect(samples.map((e) => e.constructor).sort((a, b) => a.name.localeCompare(b.name))).to.deep.equal(classes.sort((a, b) => (a as { name: string }).name.localeCompare((b as { name: string }).name)))
  })

  it('should name each error after its class and give it one canonical kind', () => {
    for (const err of samples) {
      expect(err.name, err.constructor.name).to.equal(err.constructor.name)
      expect(ERROR_KINDS, err.name).to.include(kindOf(err))
    }
    expect(kindOf(new mesh.NoOwnerError('agent', 'ai'))).to.equal('unavailable')
    expect(kindOf(new mesh.PinLimitError('room/r', 512))).to.equal('exhausted')
    expect(kindOf(new mesh.UnknownPeerError('x'))).to.equal('not-found')
  })

  it('should say what is missing and how to fix it, and keep the fields a caller reads', () => {
    const noOwner = new mesh.NoOwnerError('agent', 'ai')
    expect(noOwner.message).to.match(/--role ai/)
    expect(noOwner.role).to.equal('ai')
    const unreachable = new mesh.PeerUnreachableError('p2', 'gone')
    expect(unreachable.peer).to.equal('p2')
    expect(unreachable.message).to.equal('peer p2 is unreachable: gone')
  })

  it('should cross the wire as themselves', () => {
    const wire = new WireErrors()
    for (const err of samples) {
      const back = wire.fromWire(wire.toWire(err), 'p2')
      expect(back, err.name).to.be.instanceOf(err.constructor as new (...args: never[]) => Error)
      expect(back.message, err.name).to.equal(err.message)
    }
  })
})
