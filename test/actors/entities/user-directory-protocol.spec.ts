import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { InvalidMessageError, checkUserDirectoryMsg } from '../../../actors/index.ts'
import { onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'
import { userDirectoryMessage } from '../../helpers/entity-messages.ts'

describe('checkUserDirectoryMsg', () => {
  const replyTo = { askId: '1', node: 'peer' }
  const tokenHash = createHash('sha256').update('plxu_token').digest('hex')
  const refused = refusalOf(checkUserDirectoryMsg, InvalidMessageError)

  it('should pass the messages a node sends, and refuse malformed ones naming the field', () => {
    for (const msg of [
      { type: 'add', name: 'ann', tokenHash, replyTo },
      { type: 'add', name: 'ann', tokenHash, clientId: '0b9a7c1e-5d1f-4c3a-9e1b-2f8d6a4c7e10', replyTo },
      { type: 'remove', name: 'ann', replyTo },
      { type: 'get', name: 'ann', replyTo },
      { type: 'list', replyTo },
      { type: 'authenticate', tokenHash, replyTo },
      { type: 'changes', after: 0, limit: 1000, replyTo }
    ]) expect(refused(msg), msg.type).to.equal('')
    expect(refused({ type: 'add', name: 'Ann', tokenHash, replyTo })).to.match(/^user directory message add: name: expected a user name/)
    expect(refused({ type: 'add', name: 'ann', tokenHash: tokenHash.toUpperCase(), replyTo })).to.match(/^user directory message add: tokenHash: expected a SHA-256 in hex/)
    expect(refused({ type: 'add', name: 'ann', tokenHash, clientId: 'a b', replyTo })).to.match(/^user directory message add: clientId: expected a client id/)
    expect(refused({ type: 'add', name: 'ann', tokenHash, clientId: 7, replyTo })).to.match(/^user directory message add: clientId: expected a client id/)
    expect(refused({ type: 'authenticate', tokenHash: 'plxu_the-token-itself', replyTo })).to.match(/tokenHash: expected a SHA-256 in hex \(64 of 0-9, a-f\), got "plxu_the-token-itself"$/)
    expect(refused({ type: 'get', name: '', replyTo })).to.match(/^user directory message get: name: /)
    expect(refused({ type: 'changes', after: -1, limit: 10, replyTo })).to.match(/^user directory message changes: after: /)
    expect(refused({ type: 'changes', after: 0, limit: 5000, replyTo })).to.match(/^user directory message changes: limit: /)
    expect(refused({ type: 'drop-all', replyTo })).to.equal('user directory message: unknown type "drop-all"; expected one of add, remove, list, get, authenticate, changes')
  })

  it('should throw nothing but InvalidMessageError, whatever arrives', () => {
    onlyRefusals(checkUserDirectoryMsg, userDirectoryMessage(), { runs: 1000, minPassed: 50, classes: [InvalidMessageError] })
  })
})
