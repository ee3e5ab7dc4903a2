import { expect } from 'chai'
import { SEAL_HEADER_BYTES, SEAL_SHA256 } from '../../../node/storage/constants.ts'
import { seal, sealDigest, sealIntact, unseal } from '../../../node/storage/record-seal.ts'
import { createHash } from 'node:crypto'

describe('record seal', () => {
  const payload = new TextEncoder().encode('hello')

  it('should seal a value with its key\'s and content\'s SHA-256 and give the content back', () => {
    const sealed = seal('r\x00k', payload)
    expect(sealed.byteLength).to.equal(SEAL_HEADER_BYTES + payload.byteLength)
    expect(sealed[0]).to.equal(SEAL_SHA256)
    expect(Buffer.from(sealDigest(sealed)).toString('hex')).to.equal(createHash('sha256').update('r\x00k').update(payload).digest('hex'))
    expect(Buffer.from(unseal('r\x00k', sealed)).toString()).to.equal('hello')
    expect(sealIntact('r\x00k', sealed)).to.equal(true)
  })

  it('should catch a flipped byte, a value moved under another key, an unknown seal and a torn value', () => {
    const sealed = seal('r\x00k', payload)
    const flipped = sealed.slice()
    flipped[SEAL_HEADER_BYTES] = (flipped[SEAL_HEADER_BYTES] as number) ^ 1
    const unknown = sealed.slice()
    unknown[0] = 9
    for (const [key, value, why] of [['r\x00k', flipped, /SHA-256 does not match/], ['r\x00other', sealed, /SHA-256 does not match/], ['r\x00k', unknown, /unknown seal id 9/], ['r\x00k', sealed.subarray(0, 10), /shorter than its seal/]] as const) {
      expect(() => unseal(key, value)).to.throw(why).with.property('name', 'CorruptRecordError')
      expect(sealIntact(key, value)).to.equal(false)
    }
  })
})
