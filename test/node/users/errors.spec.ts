import { expect } from 'chai'
import { DirectoryUnavailableError } from '../../../node/users/index.ts'
import { kindOf } from '../../../protocols/index.ts'

describe('users errors', () => {
  it('should say a token unknown while the directory cannot be asked is a retry, not a refusal', () => {
    const err = new DirectoryUnavailableError('not in this node\'s copy; retry', { cause: new Error('down') })
    expect([err.name, kindOf(err), err.kind]).to.deep.equal(['DirectoryUnavailableError', 'unavailable', 'unavailable'])
    expect((err.cause as Error).message).to.equal('down')
  })
})
