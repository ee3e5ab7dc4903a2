import { expect } from 'chai'
import { CONFIG_SCHEMA } from '../../config/index.ts'
import { MAX_ACTOR_PATH_LENGTH, MAX_ASK_ID_LENGTH, MAX_CHAT_TEXT_BYTES, MAX_NODE_ID_LENGTH, isClientId } from '../../protocols/index.ts'
import { LIMITS } from '../../protocols/p2p/index.ts'

describe('limits', () => {
  it('should let no node accept a longer chat text than every node accepts from another (config max-message-bytes)', () => {
    const key = CONFIG_SCHEMA.find((k) => k.key === 'max-message-bytes')
    expect(key?.type).to.deep.include({ kind: 'int', max: MAX_CHAT_TEXT_BYTES })
  })

  it('should bound the addresses in messages as the peer wire bounds its envelopes', () => {
    expect(LIMITS).to.include({ peerId: MAX_NODE_ID_LENGTH, askId: MAX_ASK_ID_LENGTH, path: MAX_ACTOR_PATH_LENGTH })
  })

  it('should take 1-64 visible ASCII characters as a client id, and nothing else', () => {
    for (const id of ['a', '0b5a6c1e-27f4-4d7a-9a43-8e1f0e6d2c11', '!~{}', 'x'.repeat(64)]) expect(isClientId(id), id).to.equal(true)
    for (const id of ['', 'x'.repeat(65), 'has space', 'tab\t', 'é', 'nul\u0000', 5, null, undefined]) expect(isClientId(id), JSON.stringify(id)).to.equal(false)
  })
})
