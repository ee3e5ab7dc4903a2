import { expect } from 'chai'
import { shortPeer } from '../../cli/short-peer.ts'

describe('shortPeer', () => {
  it('should keep a short id whole and cut a long one to its start and end', () => {
    expect(shortPeer('12D3KooW')).to.equal('12D3KooW')
    expect(shortPeer('x'.repeat(16))).to.equal('x'.repeat(16))
    expect(shortPeer('12D3KooWAbCdEfGhIjKlMnOpQrStUv')).to.equal('12D3Ko…QrStUv')
  })
})
