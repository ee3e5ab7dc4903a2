import { expect } from 'chai'
import { access } from 'node:fs/promises'
import { fileLines, spoolImport } from '../../../node/transfer/index.ts'

describe('import-spool', () => {
  async function * pieces (...texts: string[]): AsyncGenerator<Uint8Array> { for (const t of texts) yield Buffer.from(t) }

  it('should spool a body to a file read back line by line, and remove it', async () => {
    const spool = await spoolImport(pieces('one\ntw', 'o\r\nthree'))
    const lines: string[] = []
    for await (const line of fileLines(spool.path)) lines.push(line)
    expect([lines, spool.bytes]).to.deep.equal([['one', 'two', 'three'], 14])
    await spool.remove()
    expect(await access(spool.path).then(() => true, () => false)).to.equal(false)
  })

  it('should refuse a body over its bound, keeping nothing', async () => {
    const err = await spoolImport(pieces('12345', '67890'), 8).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).to.equal('ImportTooLargeError')
    expect(err?.message).to.match(/at most 8 bytes/)
  })
})
