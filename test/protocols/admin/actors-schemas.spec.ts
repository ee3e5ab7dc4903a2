import { expect } from 'chai'
import { actorSchema, entitySchema } from '../../../protocols/admin/actors-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('actorSchema', () => {
  it('should fit an actor or an entity as /actors lists it, a plain actor with a null key', () => {
    const check = validatorOf(actorSchema)
    expect(check({ kind: 'room', path: '/entities/room/general', key: 'general', status: 'running', mailbox: 0, node: '12D3KooWTest' }).ok).to.equal(true)
    expect(check({ kind: 'role-manager', path: '/role-manager', key: null, status: 'running', mailbox: 0, node: '12D3KooWTest' }).ok).to.equal(true)
    expect(check({ kind: 'room', path: '/x', key: 'x', status: 'asleep', mailbox: 0, node: 'p' }).errors).to.deep.equal(['/status must be equal to one of the allowed values'])
  })
})

describe('entitySchema', () => {
  it('should fit one entity with its partition\'s replicas, null where a replica did not answer', () => {
    const check = validatorOf(entitySchema)
    const entity = { type: 'room', key: 'general', node: 'p', active: true, seq: 4, role: 'chat', partition: 7, replicas: [{ peerId: 'p', status: 'up', epoch: 2, lag: 0 }, { peerId: 'q', status: 'down', epoch: null, lag: null }] }
    expect(check(entity).ok).to.equal(true)
    expect(check({ ...entity, seq: undefined }).errors).to.deep.equal(["must have required property 'seq'"])
    expect(check({ ...entity, replicas: [{ peerId: 'p', status: 'up', epoch: 2 }] }).errors).to.deep.equal(["/replicas/0 must have required property 'lag'"])
  })
})
