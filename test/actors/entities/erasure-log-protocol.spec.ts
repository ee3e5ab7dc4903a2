import { expect } from 'chai'
import { checkErasureLogMsg } from '../../../actors/index.ts'

describe('erasure log protocol', () => {
  const replyTo = { askId: 'a1', node: 'n1' }
  const refused = (msg: unknown): string => {
    try {
      checkErasureLogMsg(msg)
      return 'passed'
    } catch (err) {
      return (err as Error).message
    }
  }

  it('should pass well-formed notes and views', () => {
    expect(refused({ type: 'note-erasure', name: 'alice', by: 'admin', replyTo })).to.equal('passed')
    expect(refused({ type: 'note-redaction', room: 'general', seq: 3, replyTo })).to.equal('passed')
    expect(refused({ type: 'view', replyTo })).to.equal('passed')
  })

  it('should refuse a bad name, room or seq, naming the field', () => {
    expect(refused({ type: 'note-erasure', name: 'Not A Name', by: 'admin', replyTo })).to.match(/name: expected a user name/)
    expect(refused({ type: 'note-redaction', room: '', seq: 3, replyTo })).to.match(/room: expected a room name/)
    expect(refused({ type: 'note-redaction', room: 'general', seq: 1.5, replyTo })).to.match(/seq: expected an integer/)
    expect(refused({ type: 'forget', replyTo })).to.match(/unknown type "forget"; expected one of note-erasure, note-redaction, view/)
  })
})
