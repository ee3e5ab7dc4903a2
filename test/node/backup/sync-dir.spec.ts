import { expect } from 'chai'
import { join } from 'node:path'
import { syncDir } from '../../../node/backup/sync-dir.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('syncDir', () => {
  it('should fsync a directory that exists, and reject for one that does not', async () => {
    const dir = await tempDir('plexi-sync-dir-')
    try {
      await syncDir(dir.path)
      if (process.platform === 'win32') return
      expect((await rejection(async () => await syncDir(join(dir.path, 'gone'))) as NodeJS.ErrnoException).code).to.equal('ENOENT')
    } finally {
      await dir.remove()
    }
  })
})
