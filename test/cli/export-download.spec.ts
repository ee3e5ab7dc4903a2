import { expect } from 'chai'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { CliIo } from '../../cli/cli-io.ts'
import { downloadExport } from '../../cli/export-download.ts'
import type { ExportPiece } from '../../cli/export-download.ts'
import { tempDir } from '../helpers/temp-dir.ts'

function capture (tty = false): CliIo & { out: () => string, err: () => string } {
  const stdout = new PassThrough()
  const stderr = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 120 } : {})
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  return { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd(), out: () => out, err: () => err }
}

async function * pieces (fail?: Error): AsyncGenerator<ExportPiece> {
  yield { data: Buffer.from('{"a":1}\n'), records: 2, done: 1 }
  if (fail !== undefined) throw fail
  yield { data: Buffer.from('{"b":2}\n'), records: 0, done: 2 }
}

describe('downloadExport', () => {
  it('should write the export to stdout as it comes, saying nothing else', async () => {
    const io = capture()
    expect(await downloadExport(io, pieces(), undefined, 'export r')).to.deep.equal({ bytes: 16, records: 2 })
    expect([io.out(), io.err()]).to.deep.equal(['{"a":1}\n{"b":2}\n', ''])
  })

  it('should write a file, show progress on a terminal, and end with a line saying what it wrote', async () => {
    const dir = await tempDir()
    try {
      const io = capture(true)
      const out = join(dir.path, 'x.ndjson')
      await downloadExport(io, pieces(), out, 'export r')
      expect(await readFile(out, 'utf8')).to.equal('{"a":1}\n{"b":2}\n')
      expect(io.err()).to.include('export r').and.to.include(`exported 2 records (0.0 MiB) to ${out}\n`)
    } finally {
      await dir.remove()
    }
  })

  it('should say a file holds only part of an export that failed part-way', async () => {
    const dir = await tempDir()
    try {
      const out = join(dir.path, 'x.json')
      const err = await downloadExport(capture(), pieces(new Error('node went away')), out, 'e').then(() => undefined, (e: unknown) => e as Error)
      expect(err?.message).to.equal(`node went away\nthe export stopped part-way: ${out} holds only its first 8 bytes`)
    } finally {
      await dir.remove()
    }
  })
})
