import { expect } from 'chai'
import { isReplyTo, replyToOf } from '../../../actors/index.ts'
import { MAX_ASK_ID_LENGTH, MAX_NODE_ID_LENGTH } from '../../../protocols/index.ts'

describe('ReplyTo', () => {
  it('should take as a reply address only an ask id and a node id within the wire\'s limits', () => {
    expect(isReplyTo({ askId: 'a', node: 'n' })).to.equal(true)
    expect(isReplyTo({ askId: 'a'.repeat(MAX_ASK_ID_LENGTH), node: 'n'.repeat(MAX_NODE_ID_LENGTH) })).to.equal(true)
    for (const bad of [undefined, null, 'a@n', {}, { askId: '', node: 'n' }, { askId: 'a', node: '' }, { askId: 5, node: 'n' },
      { askId: 'a'.repeat(MAX_ASK_ID_LENGTH + 1), node: 'n' }, { askId: 'a', node: 'n'.repeat(MAX_NODE_ID_LENGTH + 1) }]) {
      expect(isReplyTo(bad), JSON.stringify(bad)).to.equal(false)
    }
  })

  it('should find a request\'s reply address in its replyTo field, and nowhere else', () => {
    const replyTo = { askId: 'q', node: 'n' }
    expect(replyToOf({ type: 'get', replyTo })).to.equal(replyTo)
    expect([replyToOf({ type: 'get', reply: replyTo }), replyToOf({ replyTo: { askId: 'q' } }), replyToOf(undefined), replyToOf('replyTo')])
      .to.deep.equal([undefined, undefined, undefined, undefined])
  })
})
