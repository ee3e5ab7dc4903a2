import { expect } from 'chai'
import { createCipheriv, createHash } from 'node:crypto'
import fc from 'fast-check'
import {
  BackupKey, CHUNK_OVERHEAD_BYTES, ChunkDecryptError, ChunkFormatError, InvalidBackupInputError, ciphertextDigest,
  generateBackupKey, openChunk, sealChunk
} from '../../../node/backup/index.ts'
import { thrown } from '../../helpers/thrown.ts'

const key = new BackupKey(Buffer.alloc(32, 0x5a))
const otherKey = BackupKey.parse(generateBackupKey())

function sealed (plaintext: Uint8Array, k = key): { id: string, value: Buffer } {
  const id = k.chunkId(plaintext)
  return { id, value: sealChunk(k, id, plaintext) }
}

const REFUSED = ['ChunkDecryptError', 'ChunkFormatError']

describe('chunk crypto (sealChunk, openChunk)', () => {
  it('should open what it sealed, for empty, small and large chunks', () => {
    for (const size of [0, 1, 1000, 300 * 1024]) {
      const plaintext = Buffer.alloc(size, size % 251)
      const { id, value } = sealed(plaintext)
      expect(value).to.have.length(size + CHUNK_OVERHEAD_BYTES)
      expect(value[0]).to.equal(1)
      expect(openChunk(key, id, value)).to.deep.equal(plaintext)
    }
  })

  it('should seal the same content to the same bytes every time (its nonce derived from its id), and other content with another nonce', () => {
    const plaintext = Buffer.from('the same chunk')
    const a = sealed(plaintext)
    const b = sealed(plaintext)
    expect(a.id).to.equal(b.id)
    expect(a.value.equals(b.value)).to.equal(true)
    expect(openChunk(key, b.id, a.value)).to.deep.equal(plaintext)
    const other = sealed(Buffer.from('another chunk'))
    expect(other.value.subarray(1, 13).equals(a.value.subarray(1, 13))).to.equal(false)
    // and under another key, other bytes
    expect(sealed(plaintext, otherKey).value.equals(a.value)).to.equal(false)
  })

  it('should detect a flipped bit at every position of a sealed chunk, never returning bytes', () => {
    const { id, value } = sealed(Buffer.from('a small chunk of forty bytes, or so....'))
    for (let at = 0; at < value.byteLength; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = Buffer.from(value)
        damaged[at] = (damaged[at] as number) ^ (1 << bit)
        expect(REFUSED, `byte ${at} bit ${bit}`).to.include(thrown(() => openChunk(key, id, damaged)).name)
      }
    }
  })

  it('should refuse every truncation and an unknown format with ChunkFormatError or ChunkDecryptError', () => {
    const { id, value } = sealed(Buffer.from('truncate me'))
    for (let length = 0; length < value.byteLength; length++) {
      const err = thrown(() => openChunk(key, id, value.subarray(0, length)))
      expect(err.name).to.equal(length < CHUNK_OVERHEAD_BYTES ? 'ChunkFormatError' : 'ChunkDecryptError')
    }
    const later = Buffer.from(value)
    later[0] = 2
    const err = thrown(() => openChunk(key, id, later))
    expect(err).to.be.instanceOf(ChunkFormatError)
    expect((err as ChunkFormatError).kind).to.equal('invalid')
    expect(err.message).to.include('unknown format 2')
  })

  it('should refuse a chunk made with another key, naming the key it tried', () => {
    const { id, value } = sealed(Buffer.from('secret'), otherKey)
    const err = thrown(() => openChunk(key, id, value))
    expect(err).to.be.instanceOf(ChunkDecryptError)
    expect((err as ChunkDecryptError).fingerprint).to.equal(key.fingerprint)
    expect(err.message).to.include(key.fingerprint).and.to.include(id)
  })

  it('should refuse a sealed chunk served under another chunk\'s id', () => {
    const a = sealed(Buffer.from('chunk a'))
    const b = sealed(Buffer.from('chunk b'))
    expect(thrown(() => openChunk(key, a.id, b.value))).to.be.instanceOf(ChunkDecryptError)
    expect(thrown(() => openChunk(key, b.id, a.value))).to.be.instanceOf(ChunkDecryptError)
  })

  it('should refuse content sealed by a holder of the key under an id that is not its own', () => {
    // what sealChunk refuses to make, made by hand: GCM authenticates it, the id check does not
    const id = key.chunkId(Buffer.from('what the manifest names'))
    const content = Buffer.from('something else')
    const nonce = Buffer.alloc(12, 1)
    const cipher = createCipheriv('aes-256-gcm', key.chunkKey(id), nonce)
    cipher.setAAD(Buffer.from(id))
    const body = Buffer.concat([cipher.update(content), cipher.final()])
    const forged = Buffer.concat([Buffer.of(1), nonce, body, cipher.getAuthTag()])
    const err = thrown(() => openChunk(key, id, forged))
    expect(err).to.be.instanceOf(ChunkDecryptError)
    expect(err.message).to.include('another id')
  })

  it('should refuse to seal content under an id that is not its own, and arguments of the wrong type', () => {
    const content = Buffer.from('content')
    const id = key.chunkId(content)
    expect(thrown(() => sealChunk(key, otherKey.chunkId(content), content))).to.be.instanceOf(InvalidBackupInputError)
    expect(thrown(() => sealChunk(key, id, Buffer.from('other content')))).to.be.instanceOf(InvalidBackupInputError)
    const { value } = sealed(content)
    const bad: Array<() => unknown> = [
      () => sealChunk({ fingerprint: key.fingerprint } as BackupKey, id, content),
      () => sealChunk(key, id.toUpperCase(), content),
      () => sealChunk(key, id, 'content' as unknown as Uint8Array),
      () => sealChunk(key, id, [1, 2] as unknown as Uint8Array),
      () => openChunk(null as unknown as BackupKey, id, value),
      () => openChunk(key, `${id}0`, value),
      () => openChunk(key, id, value.toString('hex') as unknown as Uint8Array),
      () => ciphertextDigest('x' as unknown as Uint8Array)
    ]
    for (const call of bad) {
      const err = thrown(call)
      expect(err).to.be.instanceOf(InvalidBackupInputError)
      expect((err as InvalidBackupInputError).kind).to.equal('invalid')
    }
  })

  it('should give holders the SHA-256 of the sealed bytes as the digest they can check', () => {
    const { value } = sealed(Buffer.from('held by someone without the key'))
    expect(ciphertextDigest(value)).to.equal(createHash('sha256').update(value).digest('hex'))
    const damaged = Buffer.from(value)
    damaged[20] = (damaged[20] as number) ^ 1
    expect(ciphertextDigest(damaged)).to.not.equal(ciphertextDigest(value))
  })

  it('should open any sealed content and refuse it after any one change (property)', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 2048 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (content, where, flip) => {
        const { id, value } = sealed(content)
        expect(openChunk(key, id, value)).to.deep.equal(Buffer.from(content))
        const damaged = Buffer.from(value)
        const at = where % damaged.byteLength
        damaged[at] = (damaged[at] as number) ^ flip
        expect(REFUSED).to.include(thrown(() => openChunk(key, id, damaged)).name)
        expect(thrown(() => openChunk(otherKey, id, value)).name).to.equal('ChunkDecryptError')
      }), { numRuns: 100, seed: 20260916 })
  })
})
