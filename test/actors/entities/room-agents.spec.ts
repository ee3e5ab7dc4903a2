import { expect } from 'chai'
import { reason } from '../../../actors/entities/room-agents.ts'

describe('room agents', () => {
  it('should say why an agent gave no answer in words a room can post', () => {
    expect(reason(new Error('no model loaded'))).to.equal('no model loaded')
    expect(reason('gone')).to.equal('gone')
  })
})
