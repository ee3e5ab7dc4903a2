import { expect } from 'chai'
import { roomNameParam, roomSchema } from '../../../protocols/admin/rooms-schemas.ts'
import { ROOM_NAME_PATTERN } from '../../../protocols/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('rooms schemas', () => {
  it('should fit a room as /rooms lists it, and take a room name by the name rule', () => {
    const check = validatorOf(roomSchema)
    expect(check({ name: 'general', createdAt: 1, createdBy: 'alice', active: true }).ok).to.equal(true)
    expect(check({ name: 'general', createdAt: 1, createdBy: 'alice' }).errors).to.deep.equal(["must have required property 'active'"])
    expect(roomNameParam.pattern).to.equal(ROOM_NAME_PATTERN.source)
    expect(validatorOf(roomNameParam)('general').ok).to.equal(true)
    expect(validatorOf(roomNameParam)('no such/room').ok).to.equal(false)
  })
})
