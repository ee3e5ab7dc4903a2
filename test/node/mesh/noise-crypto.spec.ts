import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../../../node/mesh/noise-crypto.ts'

describe('noise crypto with cached keys', () => {
  it('should produce the bytes noise\'s default produces, and read what it writes, for small, frame-sized and list inputs', () => {
    const k = randomBytes(32)
    const ad = randomBytes(32)
    for (const size of [0, 100, 699, 700, 12_000, 65_519]) {
      const nonce = randomBytes(12)
      const plain = randomBytes(size)
      const ours = noiseCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, k).subarray()
      const theirs = defaultCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, k).subarray()
      expect(Buffer.from(ours).equals(Buffer.from(theirs)), `encryption of ${size} bytes`).to.equal(true)
      const list = new Uint8ArrayList(plain.subarray(0, size >> 1), plain.subarray(size >> 1))
      expect(Buffer.from(noiseCrypto.chaCha20Poly1305Encrypt(list, nonce, ad, k).subarray()).equals(Buffer.from(theirs))).to.equal(true)
      expect(Buffer.from(noiseCrypto.chaCha20Poly1305Decrypt(Uint8Array.from(theirs), nonce, ad, k).subarray()).equals(plain)).to.equal(true)
      expect(Buffer.from(defaultCrypto.chaCha20Poly1305Decrypt(Uint8Array.from(ours), nonce, ad, k).subarray()).equals(plain)).to.equal(true)
    }
  })

  it('should refuse a tampered message and never reuse a key whose bytes changed', () => {
    const k = randomBytes(32)
    const nonce = randomBytes(12)
    const plain = randomBytes(5_000)
    const sealed = Uint8Array.from(noiseCrypto.chaCha20Poly1305Encrypt(plain, nonce, new Uint8Array(0), k).subarray())
    const tampered = Uint8Array.from(sealed)
    tampered[10] = (tampered[10] as number) ^ 1
    expect(() => noiseCrypto.chaCha20Poly1305Decrypt(tampered, nonce, new Uint8Array(0), k)).to.throw()
    k[0] = (k[0] as number) ^ 1   // same array, new key
    expect(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, new Uint8Array(0), k)).to.throw()
  })
})
