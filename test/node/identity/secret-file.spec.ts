import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { permissionsTooOpen, tooOpen } from '../../../node/identity/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('secret file', () => {
  it('should pass a file only its owner may read, and say how to fix one group or others may read', async () => {
    const dir = await tempDir()
    try {
      const path = join(dir.path, 'secret')
      await writeFile(path, 'x', { mode: 0o600 })
      expect(await tooOpen(path)).to.equal(undefined)
      await chmod(path, 0o400)
      expect(await tooOpen(path)).to.equal(undefined)
      for (const mode of [0o640, 0o604, 0o666]) {
        await chmod(path, mode)
        expect(await tooOpen(path)).to.equal(permissionsTooOpen(path, mode))
      }
    } finally {
      await dir.remove()
    }
  })

  it('should write the mode as four octal digits, as ssh says it', () => {
    expect(permissionsTooOpen('/k', 0o644)).to.equal('permissions 0644 on /k are too open: chmod 600 /k')
    expect(permissionsTooOpen('/k', 0o40)).to.equal('permissions 0040 on /k are too open: chmod 600 /k')
  })
})
