import { createHash } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { IncomingFiles } from '../../../node/services/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const silent = { info () {}, warn () {}, debug () {} }

describe('IncomingFiles', () => {
  it('should take chunks in order up to the size offered, and give the file and its SHA-256 once every byte arrived', async () => {
    const dir = await tempDir('plexi-incoming-')
    try {
      const files = new IncomingFiles<{ name: string }>({ what: 'copy', error: (m, kind) => Object.assign(new Error(m), { kind }), log: silent })
      const id = await files.open(join(dir.path, 'a'), 6, { name: 'a' })
      expect(files.metas()).to.deep.equal([{ name: 'a' }])
      const refused = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'resolved', (err: Error & { kind?: string }) => `${err.kind ?? ''}: ${err.message}`)
      expect(await refused(files.write(id, 1, Buffer.from('x')))).to.equal('invalid: expected bytes from 0, got 1')
      await files.write(id, 0, Buffer.from('abc'))
      expect(await refused(files.finish(id))).to.equal('invalid: 3 of 6 bytes arrived')
      expect(await readdir(dir.path), 'the file of a failed finish is removed').to.deep.equal([])
      expect(await refused(files.write(id, 3, Buffer.from('def')))).to.equal('not-found: no such copy (it ended, or was idle too long)')

      const whole = await files.open(join(dir.path, 'b'), 6, { name: 'b' })
      await files.write(whole, 0, Buffer.from('abc'))
      await files.write(whole, 3, Buffer.from('def'))
      const done = await files.finish(whole)
      expect(done).to.deep.equal({ file: join(dir.path, 'b'), meta: { name: 'b' }, sha256: createHash('sha256').update('abcdef').digest('hex') })
      expect(await readFile(done.file, 'utf8')).to.equal('abcdef')

      const over = await files.open(join(dir.path, 'c'), 2, { name: 'c' })
      expect(await refused(files.write(over, 0, Buffer.from('abc')))).to.equal('invalid: more bytes than the 2 offered')
      expect(files.size, 'a file sent past its size is dropped').to.equal(0)
      await files.open(join(dir.path, 'd'), 2, { name: 'd' })
      await files.open(join(dir.path, 'e'), 2, { name: 'e' })
      await files.dropWhere((m) => m.name === 'd')
      expect(files.metas()).to.deep.equal([{ name: 'e' }])
      await files.dropIdle(-1)
      expect(files.size).to.equal(0)
      expect((await readdir(dir.path)).sort()).to.deep.equal(['b'])
    } finally {
      await dir.remove()
    }
  })
})
