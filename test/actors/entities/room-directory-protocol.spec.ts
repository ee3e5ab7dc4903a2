import { expect } from 'chai'
import { InvalidMessageError, checkRoomDirectoryMsg } from '../../../actors/index.ts'
import { onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'
import { roomDirectoryMessage } from '../../helpers/entity-messages.ts'

describe('checkRoomDirectoryMsg', () => {
  const replyTo = { askId: '1', node: 'peer' }
  const refused = refusalOf(checkRoomDirectoryMsg, InvalidMessageError)

  it('should pass the messages rooms and the gRPC server send, and refuse malformed ones naming the field', () => {
    expect(refused({ type: 'register', name: 'general', by: 'ann', ts: 1_700_000_000_000, replyTo })).to.equal('')
    expect(refused({ type: 'list', replyTo })).to.equal('')
    // the directory keys its state by room name: a name that is not one could be '__proto__'
    expect(refused({ type: 'register', name: '__proto__', by: 'ann', ts: 1, replyTo })).to.match(/^room directory message register: name: expected a room name/)
    expect(refused({ type: 'register', name: 'general', by: 'Ann', ts: 1, replyTo })).to.match(/^room directory message register: by: expected a user name/)
    expect(refused({ type: 'register', name: 'general', by: 'ann', ts: Number.NaN, replyTo })).to.equal('room directory message register: ts: expected a finite number, got NaN')
    expect(refused({ type: 'list' })).to.match(/^room directory message list: replyTo: /)
    expect(refused({ type: 'create', replyTo })).to.equal('room directory message: unknown type "create"; expected one of register, list')
  })

  it('should throw nothing but InvalidMessageError, whatever arrives', () => {
    onlyRefusals(checkRoomDirectoryMsg, roomDirectoryMessage(), { runs: 1000, minPassed: 50, classes: [InvalidMessageError] })
  })
})
