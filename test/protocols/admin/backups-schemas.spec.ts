import { expect } from 'chai'
import { backupSchema } from '../../../protocols/admin/backups-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

const running = {
  id: 'bk-20261124t161445-25e639', state: 'running', note: '', keyFingerprint: '0123456789abcdef', node: 'p', startedAt: 1, endedAt: null, error: null,
  root: null, manifest: null, stats: null, checkpoint: { digest: 'ab', bytes: 10, holders: ['p'] }, resumed: 0
}

describe('backupSchema', () => {
  it('should fit a backup running (nulls until it ends) and one done with its root, manifest and stats', () => {
    const check = validatorOf(backupSchema)
    expect(check(running).ok).to.equal(true)
    const done = { ...running, state: 'done', endedAt: 2, root: 'cd', manifest: { digest: 'ef', bytes: 20, holders: ['p', 'q'] }, checkpoint: null, stats: { partitions: 2, entities: 3, records: 9, bytes: 100, chunks: 2, newChunks: 1, newBytes: 50 } }
    expect(check(done).ok).to.equal(true)
    const { keyFingerprint: _, ...noKey } = running
    expect(check(noKey).errors).to.deep.equal(["must have required property 'keyFingerprint'"])
    expect(check({ ...done, stats: { partitions: 2 } }).errors).to.include("/stats must have required property 'entities'")
  })
})
