import type { FileHandle } from 'node:fs/promises'
import { PACK_RECORD_HEADER_BYTES, PACK_RECORD_PUT, PACK_SCAN_READ_BYTES } from './constants.ts'
import { readRecordHeader, sha256 } from './pack-record.ts'
import type { ScannedRecord } from './pack-record.ts'

/** What a scan of a pack found: its records in order, up to `end`; `why` the scan stopped there
 * ('' when it read to the end). */
export interface PackScan {
  readonly records: ScannedRecord[]
  readonly end: number
  readonly why: string
}

/**
 * Reads a pack's record headers from the start (seeking over bodies; reading and checking each
 * body only when `verify`), up to the first record that does not check out: `end` is where it
 * starts (`size` when every record does), `why` what was wrong.
 */
export async function scanPack (handle: FileHandle, size: number, verify: boolean): Promise<PackScan> {
  const records: ScannedRecord[] = []
  // headers are read a page at a time: one read serves every small record in it
  const window = Buffer.allocUnsafe(PACK_SCAN_READ_BYTES)
  let windowAt = 0
  let windowLength = 0
  let offset = 0
  while (offset < size) {
    if (size - offset < PACK_RECORD_HEADER_BYTES) return { records, end: offset, why: `${size - offset} bytes at the end, less than a record header` }
    if (offset < windowAt || offset + PACK_RECORD_HEADER_BYTES > windowAt + windowLength) {
      windowAt = offset
      windowLength = (await handle.read(window, 0, Math.min(window.byteLength, size - offset), offset)).bytesRead
      if (windowLength < PACK_RECORD_HEADER_BYTES) return { records, end: offset, why: 'the pack ended while it was read' }
    }
    const header = readRecordHeader(window, offset - windowAt)
    if (typeof header === 'string') return { records, end: offset, why: header }
    if (offset + PACK_RECORD_HEADER_BYTES + header.length > size) return { records, end: offset, why: `a record of ${header.length} bytes runs past the end of the pack` }
    if (verify && header.kind === PACK_RECORD_PUT) {
      const body = Buffer.allocUnsafe(header.length)
      const { bytesRead } = await handle.read(body, 0, header.length, offset + PACK_RECORD_HEADER_BYTES)
      if (bytesRead !== header.length || sha256(body).toString('hex') !== header.digest) {
        return { records, end: offset, why: `chunk ${header.id} does not match its SHA-256` }
      }
    }
    records.push({ ...header, offset })
    offset += PACK_RECORD_HEADER_BYTES + header.length
  }
  return { records, end: size, why: '' }
}
