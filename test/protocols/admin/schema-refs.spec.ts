import { expect } from 'chai'
import { BEARER, errors, ref } from '../../../protocols/admin/schema-refs.ts'

describe('schema refs', () => {
  it('should refer to a shared schema by its $id, and answer each refusal a route lists with the Error schema', () => {
    expect(ref('Member')).to.deep.equal({ $ref: 'Member#' })
    expect(errors(400, 401, 503)).to.deep.equal({ 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 503: { $ref: 'Error#' } })
    expect(errors()).to.deep.equal({})
    expect(BEARER).to.deep.equal([{ bearer: [] }])
  })
})
