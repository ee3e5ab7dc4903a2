import { expect } from 'chai'
import { tokenNameParam, tokenSchema } from '../../../protocols/admin/tokens-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('tokens schemas', () => {
  it('should fit a named token by its name, scope and age, never the token itself', () => {
    const check = validatorOf(tokenSchema)
    expect(check({ name: 'viewer', scope: 'read', createdAt: 1 }).ok).to.equal(true)
    expect(check({ name: 'viewer', scope: 'root', createdAt: 1 }).errors).to.deep.equal(['/scope must be equal to one of the allowed values'])
    expect(Object.keys(tokenSchema.properties)).to.not.include('token')
  })

  it('should take a token name of lower-case words, 32 characters at most', () => {
    const name = validatorOf(tokenNameParam)
    for (const ok of ['viewer', 'ci_bot-2', 'a'.repeat(32)]) expect(name(ok).ok, ok).to.equal(true)
    for (const bad of ['Viewer', '2fast', 'a'.repeat(33), '']) expect(name(bad).ok, bad).to.equal(false)
  })
})
