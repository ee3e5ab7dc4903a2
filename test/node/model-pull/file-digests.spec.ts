import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { FileDigests } from '../../../node/model-pull/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const hex = (text: string): string => createHash('sha256').update(text).digest('hex')

describe('FileDigests', () => {
  it('should hash a file, hash it again once it changed, take what the caller hashed as it wrote, and say undefined for no file', async () => {
    const dir = await tempDir('plexi-digests-')
    try {
      const file = join(dir.path, 'm.gguf')
      const digests = new FileDigests()
      expect(await digests.of(file)).to.equal(undefined)
      expect(await digests.of(dir.path), 'a folder is no file').to.equal(undefined)
      await writeFile(file, 'first')
      expect(await digests.of(file)).to.equal(hex('first'))
      await writeFile(file, 'second!')
      expect(await digests.of(file)).to.equal(hex('second!'))
      await digests.remember(file, 'a'.repeat(64))
      expect(await digests.of(file)).to.equal('a'.repeat(64))
    } finally {
      await dir.remove()
    }
  })
})
