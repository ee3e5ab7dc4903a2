import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AdminTokens } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('AdminTokens: the file', () => {
  it('should refuse a file others may read, or one that is not a list of tokens, saying what to do', async () => {
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'admin-tokens.json')
      await writeFile(file, '[]\n', { mode: 0o644 })
      const open = await AdminTokens.open(dir.path).then(() => null, (e: Error) => e)
      expect(open?.message).to.equal(`permissions 0644 on ${file} are too open: chmod 600 ${file}`)
      await writeFile(file, '{"not":"a list"}\n', { mode: 0o600 })
      const { chmod } = await import('node:fs/promises')
      await chmod(file, 0o600)
      const bad = await AdminTokens.open(dir.path).then(() => null, (e: Error) => e)
      expect(bad?.message).to.match(/is not a list of admin tokens: restore it, or delete it to revoke every named admin token$/)
    } finally {
      await dir.remove()
    }
  })
})
