import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type * as grpc from '@grpc/grpc-js'
import type { CliIo } from '../../cli/cli-io.ts'
import { printImportReport, uploadImport } from '../../cli/import-upload.ts'
import { tempDir } from '../helpers/temp-dir.ts'

/** A writable call that keeps what is written. */
function call (): { stream: grpc.ClientWritableStream<unknown>, written: Array<Record<string, unknown>>, ended: () => boolean } {
  const written: Array<Record<string, unknown>> = []
  let ended = false
  const stream = { write: (chunk: Record<string, unknown>) => { written.push(chunk); return true }, end: () => { ended = true }, once: () => undefined }
  return { stream: stream as unknown as grpc.ClientWritableStream<unknown>, written, ended: () => ended }
}

describe('import-upload', () => {
  it('should send a file in chunks, the first naming the target, and end the call', async () => {
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'e.ndjson')
      await writeFile(file, 'x'.repeat(2_500_000))
      const c = call()
      await uploadImport(file, c.stream, { room: 'r', dryRun: true })
      expect(c.written.length).to.equal(3)
      expect(c.written[0]).to.include({ room: 'r', dryRun: true })
      expect(c.written[1]).to.not.have.property('room')
      expect(c.written.reduce((n, w) => n + (w.data as Uint8Array).byteLength, 0)).to.equal(2_500_000)
      expect(c.ended()).to.equal(true)
      const empty = join(dir.path, 'empty')
      await writeFile(empty, '')
      const e = call()
      await uploadImport(empty, e.stream, { room: 'r' })
      expect(e.written).to.deep.equal([{ room: 'r' }])
      const missing = call()
      const err = await uploadImport(join(dir.path, 'none'), missing.stream, {}).then(() => undefined, (x: unknown) => x as Error)
      expect(err?.message).to.match(/^cannot read .*none: ENOENT/)
      expect(missing.ended()).to.equal(true)
    } finally {
      await dir.remove()
    }
  })

  it('should print what an import added or would add', () => {
    let out = ''
    const io = { stdout: Object.assign(new PassThrough(), { write: (s: string) => { out += s; return true } }) } as unknown as CliIo
    const report = { source: 's', kind: 'room' as const, name: 'copy', dryRun: false, records: 5, added: 3, skipped: 1, notImportable: 1, firstSeq: 2, lastSeq: 4, watermark: 4, batches: 1 }
    printImportReport(io, report, false)
    printImportReport(io, { ...report, dryRun: true, added: 0 }, false)
    expect(out).to.equal('room copy added 3 of 5 records (source seqs 2 to 4); 1 already imported, 1 add nothing (joins, leaves, redactions)\n' +
      'dry run: room copy would add 0 of 5 records; 1 already imported, 1 add nothing (joins, leaves, redactions)\n')
  })
})
