import { expect } from 'chai'
import { errorSchema } from '../../../protocols/admin/error-schema.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('errorSchema', () => {
  it('should fit the one error shape every admin route answers, and nothing short of it', () => {
    const check = validatorOf(errorSchema)
    expect(check({ statusCode: 409, code: 'USER_EXISTS', error: 'Conflict', message: 'user alice exists' }).ok).to.equal(true)
    expect(check({ statusCode: 409, code: 'USER_EXISTS', error: 'Conflict' }).errors).to.deep.equal(["must have required property 'message'"])
    expect(check({ statusCode: '409', code: 'X', error: 'Conflict', message: '' }).errors).to.deep.equal(['/statusCode must be integer'])
  })
})
