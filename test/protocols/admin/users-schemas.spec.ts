import { expect } from 'chai'
import { clientId, newUserSchema, userNameParam, userSchema } from '../../../protocols/admin/users-schemas.ts'
import { USER_NAME_PATTERN } from '../../../protocols/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('users schemas', () => {
  it('should fit a user as listed and a new one with its token, shown once', () => {
    expect(validatorOf(userSchema)({ name: 'alice', createdAt: 1 }).ok).to.equal(true)
    expect(validatorOf(newUserSchema)({ name: 'alice', createdAt: 1 }).errors).to.deep.equal(["must have required property 'token'"])
    expect(validatorOf(newUserSchema)({ name: 'alice', token: 'plxu_x', createdAt: 1 }).ok).to.equal(true)
  })

  it('should take a user name by the name rule, and a client id that makes a retry safe', () => {
    expect(userNameParam.pattern).to.equal(USER_NAME_PATTERN.source)
    const name = validatorOf(userNameParam)
    expect(name('alice').ok).to.equal(true)
    expect(name('Not A Name').ok).to.equal(false)
    const id = validatorOf(clientId)
    expect(id('add-1').ok).to.equal(true)
    expect(id('has space').ok).to.equal(false)
    expect(clientId.description).to.match(/a retry with the same id is safe$/)
  })
})
