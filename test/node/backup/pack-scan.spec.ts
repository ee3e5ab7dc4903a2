import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PACK_RECORD_HEADER_BYTES, PACK_RECORD_PUT, PACK_RECORD_REMOVE, PACK_SCAN_READ_BYTES } from '../../../node/backup/constants.ts'
import { ZERO_DIGEST, sha256, writeRecordHeader } from '../../../node/backup/pack-record.ts'
import { scanPack } from '../../../node/backup/pack-scan.ts'
import type { PackScan } from '../../../node/backup/pack-scan.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const H = PACK_RECORD_HEADER_BYTES

/** A put record of `body` under a random id, or a remove record. */
function record (body: Buffer | undefined): { bytes: Buffer, id: string } {
  const id = randomBytes(32).toString('hex')
  const head = Buffer.alloc(H)
  if (body === undefined) writeRecordHeader(head, PACK_RECORD_REMOVE, id, ZERO_DIGEST, 0)
  else writeRecordHeader(head, PACK_RECORD_PUT, id, sha256(body).toString('hex'), body.byteLength)
  return { bytes: body === undefined ? head : Buffer.concat([head, body]), id }
}

describe('scanPack', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir('plexi-pack-scan-') })
  afterEach(async () => { await dir.remove() })

  async function scan (bytes: Buffer, verify: boolean): Promise<PackScan> {
    const path = join(dir.path, 'p.pack')
    await writeFile(path, bytes)
    const handle = await open(path, 'r')
    try {
      return await scanPack(handle, bytes.byteLength, verify)
    } finally {
      await handle.close()
    }
  }

  it('should find every record in order, small ones sharing a read and large ones seeked over', async () => {
    const records = [record(randomBytes(100)), record(undefined), record(randomBytes(3 * PACK_SCAN_READ_BYTES)), record(undefined), record(randomBytes(40))]
    const bytes = Buffer.concat(records.map((r) => r.bytes))
    for (const verify of [false, true]) {
      const found = await scan(bytes, verify)
      expect(found.end).to.equal(bytes.byteLength)
      expect(found.why).to.equal('')
      expect(found.records.map((r) => [r.id, r.kind])).to.deep.equal(records.map((r, i) => [r.id, i % 2 === 0 ? PACK_RECORD_PUT : PACK_RECORD_REMOVE]))
      expect(found.records.map((r) => r.offset)).to.deep.equal([0, H + 100, 2 * H + 100, 3 * H + 100 + 3 * PACK_SCAN_READ_BYTES, 4 * H + 100 + 3 * PACK_SCAN_READ_BYTES])
    }
  })

  it('should stop at a torn tail, saying where and why', async () => {
    const [a, b] = [record(randomBytes(100)), record(randomBytes(100))]
    const whole = Buffer.concat([a.bytes, b.bytes])
    const short = await scan(whole.subarray(0, a.bytes.byteLength + 30), false)
    expect(short).to.deep.include({ end: a.bytes.byteLength, why: '30 bytes at the end, less than a record header' })
    expect(short.records.map((r) => r.id)).to.deep.equal([a.id])
    const body = await scan(whole.subarray(0, whole.byteLength - 1), false)
    expect(body).to.deep.include({ end: a.bytes.byteLength, why: 'a record of 100 bytes runs past the end of the pack' })
    const garbage = await scan(Buffer.concat([a.bytes, randomBytes(200)]), false)
    expect(garbage.end).to.equal(a.bytes.byteLength)
    expect(garbage.why).to.match(/wrong magic|checksum/)
  })

  it('should check bodies only when asked to', async () => {
    const [a, b] = [record(randomBytes(100)), record(randomBytes(100))]
    const bytes = Buffer.concat([a.bytes, b.bytes])
    const at = a.bytes.byteLength + H + 50
    bytes[at] = (bytes[at] as number) ^ 1
    expect((await scan(bytes, false)).records).to.have.length(2)
    const checked = await scan(bytes, true)
    expect(checked).to.deep.include({ end: a.bytes.byteLength, why: `chunk ${b.id} does not match its SHA-256` })
  })
})
