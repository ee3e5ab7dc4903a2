import { expect } from 'chai'
import { kindOf } from '../../../protocols/index.ts'
import { ImportTooLargeError, NoSuchRoomError } from '../../../node/transfer/index.ts'

describe('transfer errors', () => {
  it('should say an import file is too large as exhausted', () => {
    const err = new ImportTooLargeError('too large')
    expect([err.name, kindOf(err)]).to.deep.equal(['ImportTooLargeError', 'exhausted'])
    expect(kindOf(new NoSuchRoomError('no room'))).to.equal('not-found')
  })
})
