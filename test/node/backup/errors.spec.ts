import { expect } from 'chai'
import * as errors from '../../../node/backup/errors.ts'
import { errorClasses, errorData, isErrorKind, rebuildError } from '../../../protocols/index.ts'

const FP = '0123456789abcdef'
const ID = 'a'.repeat(64)

/** One instance of every error class of the backup library, as its callers make them. */
const INSTANCES: { readonly [K in keyof typeof errors]: InstanceType<(typeof errors)[K]> } = {
  InvalidBackupInputError: new errors.InvalidBackupInputError('chunks[0].id is a chunk id'),
  BackupKeyMissingError: new errors.BackupKeyMissingError('/etc/plexi/backup.key'),
  BackupKeyUnreadableError: new errors.BackupKeyUnreadableError('/etc/plexi/backup.key', Object.assign(new Error('denied'), { code: 'EACCES' })),
  BackupKeyPermissionsError: new errors.BackupKeyPermissionsError('/etc/plexi/backup.key', 0o644),
  BackupKeyFormatError: new errors.BackupKeyFormatError('not a key of this format'),
  BackupKeyExistsError: new errors.BackupKeyExistsError('/etc/plexi/backup.key'),
  ChunkFormatError: new errors.ChunkFormatError(ID, 'too short'),
  ChunkDecryptError: new errors.ChunkDecryptError(ID, FP, 'the tag does not match'),
  BackupSourceError: new errors.BackupSourceError('a replica did not answer'),
  StreamRestartError: new errors.StreamRestartError('room/a: record 9 has epoch 3, the listing said 2'),
  BackupFormatError: new errors.BackupFormatError('a manifest of format 9'),
  BackupKeyMismatchError: new errors.BackupKeyMismatchError('bk-1', 'ffffffffffffffff', FP),
  BackupHolderError: new errors.BackupHolderError('no holder serves it whole'),
  NoBackupKeyError: new errors.NoBackupKeyError(),
  UnknownBackupError: new errors.UnknownBackupError('bk-1', 'it is running, not done'),
  ChunkDigestMismatchError: new errors.ChunkDigestMismatchError(ID, 'b'.repeat(64), 'c'.repeat(64)),
  ChunkDamagedError: new errors.ChunkDamagedError(ID, '/data/packs/00000001.pack', 'its bytes do not match their SHA-256'),
  ChunkStoreLockedError: new errors.ChunkStoreLockedError('/data', 42, 'process 42 has it open'),
  ChunkStoreClosedError: new errors.ChunkStoreClosedError('the chunk store in /data is closed'),
  ChunkStoreFullError: new errors.ChunkStoreFullError('/data', 4_096, Object.assign(new Error('no space'), { code: 'ENOSPC' })),
  ChunkStoreBrokenError: new errors.ChunkStoreBrokenError('/data', Object.assign(new Error('io'), { code: 'EIO' })),
  BackupRestoreError: new errors.BackupRestoreError('an activation raced the rewrite'),
  BackupBusyError: new errors.BackupBusyError('backup bk-1 is running')
}

describe('backup errors', () => {
  it('should name each error after its class and give it a kind the wire knows', () => {
    for (const [name, err] of Object.entries(INSTANCES)) {
      expect(err, name).to.be.instanceOf(Error)
      expect(err.name, name).to.equal(name)
      expect(isErrorKind((err as { kind?: unknown }).kind), `${name}.kind`).to.equal(true)
      expect(err.message.length, name).to.be.greaterThan(0)
    }
  })

  it('should cross the wire as data and come back as its own class, with its kind and fields', () => {
    const classes = errorClasses(errors)
    expect([...classes.keys()].sort()).to.deep.equal(Object.keys(INSTANCES).sort())
    for (const [name, err] of Object.entries(INSTANCES)) {
      const back = rebuildError(errorData(err), classes)
      expect(back, name).to.be.instanceOf(classes.get(name) as new () => Error)
      expect([back.name, back.message, (back as { kind?: unknown }).kind], name).to.deep.equal([err.name, err.message, (err as { kind?: unknown }).kind])
    }
    expect((rebuildError(errorData(INSTANCES.ChunkStoreLockedError), classes) as errors.ChunkStoreLockedError).pid).to.equal(42)
  })

  it('should name what was expected and what came, never a key', () => {
    expect(INSTANCES.BackupKeyMismatchError.message).to.include('ffffffffffffffff').and.include(FP)
    expect(INSTANCES.NoBackupKeyError.message).to.match(/--backup-key-file/)
    expect(INSTANCES.UnknownBackupError.message).to.match(/bk-1/)
  })
})
