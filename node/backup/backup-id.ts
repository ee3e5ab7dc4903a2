import { randomBytes } from 'node:crypto'

/** A new backup id: `bk-`, the UTC time to the second, and 24 random bits (BACKUP_ID_PATTERN):
 * sorted by time when listed, and distinct between nodes starting one in the same second. */
export function newBackupId (now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase()
  return `bk-${t}-${randomBytes(3).toString('hex')}`
}

/** A new restore id: `rs-` and the same time and random part (RESTORE_ID_PATTERN). */
export function newRestoreId (now = new Date()): string {
  return `rs-${newBackupId(now).slice(3)}`
}
