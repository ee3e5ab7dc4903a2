import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { CHUNK_OVERHEAD_BYTES, PACK_RECORD_HEADER_BYTES, PACK_RECORD_PUT, PACK_RECORD_REMOVE } from '../../../node/backup/constants.ts'
import { MAX_SEALED_BYTES, ZERO_DIGEST, readRecordHeader, sha256, writeRecordHeader } from '../../../node/backup/pack-record.ts'

const H = PACK_RECORD_HEADER_BYTES

function header (kind: number, id: string, digest: string, length: number): Buffer {
  const out = Buffer.alloc(H)
  writeRecordHeader(out, kind, id, digest, length)
  return out
}

describe('pack record headers', () => {
  const id = randomBytes(32).toString('hex')
  const digest = randomBytes(32).toString('hex')

  it('should read back the put and remove headers it writes, at any offset of a buffer', () => {
    const put = header(PACK_RECORD_PUT, id, digest, 1_000)
    expect(put.subarray(0, 4).toString('latin1')).to.equal('PXP1')
    expect(readRecordHeader(put, 0)).to.deep.equal({ kind: PACK_RECORD_PUT, id, digest, length: 1_000 })
    const remove = header(PACK_RECORD_REMOVE, id, ZERO_DIGEST, 0)
    const both = Buffer.concat([Buffer.alloc(7), put, remove])
    expect(readRecordHeader(both, 7 + H)).to.deep.equal({ kind: PACK_RECORD_REMOVE, id, digest: ZERO_DIGEST, length: 0 })
  })

  it('should say why bytes are not a header: wrong magic, a flipped bit under the checksum, an unknown kind', () => {
    const put = header(PACK_RECORD_PUT, id, digest, 1_000)
    expect(readRecordHeader(Buffer.alloc(H), 0)).to.equal('no record starts here (wrong magic)')
    for (const at of [4, 5, 40, 70]) {
      const bad = Buffer.from(put)
      bad[at] = (bad[at] as number) ^ 1
      expect(readRecordHeader(bad, 0), `bit flipped at ${at}`).to.equal('a record header that does not match its checksum')
    }
    expect(readRecordHeader(header(3, id, digest, 10), 0)).to.equal('a record of unknown kind 3')
  })

  it('should refuse a put of a size no put stores and a remove with a body or a digest', () => {
    expect(readRecordHeader(header(PACK_RECORD_PUT, id, digest, CHUNK_OVERHEAD_BYTES - 1), 0)).to.match(/a chunk of \d+ bytes, which no put stores/)
    expect(readRecordHeader(header(PACK_RECORD_PUT, id, digest, MAX_SEALED_BYTES + 1), 0)).to.match(/which no put stores/)
    expect(readRecordHeader(header(PACK_RECORD_PUT, id, digest, MAX_SEALED_BYTES), 0)).to.include({ length: MAX_SEALED_BYTES })
    expect(readRecordHeader(header(PACK_RECORD_REMOVE, id, ZERO_DIGEST, 5), 0)).to.equal('a remove record with a body or a digest')
    expect(readRecordHeader(header(PACK_RECORD_REMOVE, id, digest, 0), 0)).to.equal('a remove record with a body or a digest')
  })

  it('should hash as SHA-256 does', () => {
    expect(sha256(Buffer.from('abc')).toString('hex')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})
