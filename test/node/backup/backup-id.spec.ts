import { expect } from 'chai'
import { BACKUP_ID_PATTERN, RESTORE_ID_PATTERN } from '../../../actors/index.ts'
import { newBackupId, newRestoreId } from '../../../node/backup/backup-id.ts'

describe('backup ids', () => {
  const at = new Date('2026-11-24T09:08:07.654Z')

  it('should name a backup by its UTC time to the second and a random part, as the catalog takes it', () => {
    const id = newBackupId(at)
    expect(id).to.match(/^bk-20261124t090807-[0-9a-f]{6}$/)
    expect(id).to.match(BACKUP_ID_PATTERN)
    expect(newBackupId(at)).to.not.equal(id)
    // sorted by time
    expect(newBackupId(new Date('2026-11-24T09:08:08Z')) > id).to.equal(true)
  })

  it('should name a restore likewise, with rs-', () => {
    const id = newRestoreId(at)
    expect(id).to.match(/^rs-20261124t090807-[0-9a-f]{6}$/)
    expect(id).to.match(RESTORE_ID_PATTERN)
    expect(newRestoreId()).to.match(RESTORE_ID_PATTERN)
  })
})
