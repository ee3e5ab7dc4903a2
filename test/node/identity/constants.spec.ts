import { expect } from 'chai'
import { ADMIN_TOKEN_MIN_CHARS, MAX_ADMIN_TOKENS, newToken } from '../../../node/identity/index.ts'

describe('identity constants', () => {
  it('should take every admin token a node makes, and refuse one too short to be a secret', () => {
    expect(newToken('plxa').length).to.be.at.least(ADMIN_TOKEN_MIN_CHARS)
    expect(ADMIN_TOKEN_MIN_CHARS).to.be.at.least(16)
  })

  it('should keep the named admin tokens a small file', () => {
    // an entry is about 150 bytes of JSON
    expect(MAX_ADMIN_TOKENS * 150).to.be.at.most(64 * 1024)
    expect(MAX_ADMIN_TOKENS).to.be.at.least(16)
  })
})
