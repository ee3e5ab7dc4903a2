import { expect } from 'chai'
import { valueShape } from '../../../node/backup/value-shape.ts'

describe('valueShape', () => {
  it('should give a value\'s type and size, never its content', () => {
    const secret = 'plexi-backup-key-1:c2VjcmV0'
    expect(valueShape(secret)).to.equal(`a string of ${secret.length} characters`)
    expect(valueShape(Buffer.from(secret))).to.equal(`a Buffer of ${secret.length} bytes`)
    expect(valueShape(new Uint8Array(3))).to.equal('a Uint8Array of 3 bytes')
    expect(valueShape([secret, 1])).to.equal('an array of 2')
    expect(valueShape(7)).to.equal('the number 7')
    expect(valueShape(null)).to.equal('null')
    expect(valueShape(undefined)).to.equal('undefined')
    expect(valueShape({ key: secret })).to.equal('an object (Object)')
    expect(valueShape(Object.create(null))).to.equal('an object (no prototype)')
    expect(valueShape(() => secret)).to.equal('function')
  })
})
