/** Backups (issue 16), the library layer: the operator's key, content-defined chunks sealed
 * under it, and the Merkle root a manifest names its chunks by. */
export { BackupKey, checkChunkId, generateBackupKey, isChunkId, loadBackupKey, writeBackupKeyFile } from './backup-key.ts'
export { ciphertextDigest, openChunk, sealChunk } from './chunk-crypto.ts'
export { Chunker, chunkAll } from './chunker.ts'
export type { ChunkerOptions } from './chunker.ts'
export { ChunkPool, ChunkSession } from './chunk-pool.ts'
export { merkleProof, merkleRoot, verifyMerkleProof } from './merkle-root.ts'
export { BackupService } from './backup-service.ts'
export type { BackupServiceOptions, RestoreSelection } from './backup-service.ts'
export type { RestoreFilter } from './backup-context.ts'
export type { BackupServiceStats } from './backup-context.ts'
export type { BackupLog } from './backup-log.ts'
export { cutToBackup, replicaClient, rewriteJournal } from './journal-rewrite.ts'
export type { ReplicaClient, Rewritten } from './journal-rewrite.ts'
export { RESTORE_HOLD_PATH, checkRestoreHoldMsg, restoreHold, spawnRestoreHold } from './restore-hold.ts'
export type { RestoreHoldMsg } from './restore-hold.ts'
export { CHUNK_HOLDER_PATH, checkChunkHolderMsg, chunkHolder, holderAt, spawnChunkHolder } from './chunk-holder.ts'
export type { ChunkHolderClient, ChunkHolderMsg, PutChunk } from './chunk-holder.ts'
export { ChunkStore } from './chunk-store.ts'
export { HolderRepair } from './holder-repair.ts'
export type { HolderRepairOptions } from './holder-repair.ts'
export { checkManifest, manifestLeaves, manifestRoot, openManifest, sealManifest } from './manifest.ts'
export type { BackupManifest, ManifestChunk, ManifestPartition } from './manifest.ts'
export { readPartitionCut, wholeValues } from './partition-cut.ts'
export { PartitionStreamWriter, chunkSpan, decodeBlock, decodeLast, decodeLatest } from './partition-stream.ts'
export type { DecodedEntity, EntityBlock, SealedChunk } from './partition-stream.ts'
export type { EntityCut, PartitionCutOptions } from './partition-cut.ts'
export type { MerkleLeaf } from './merkle-root.ts'
export {
  BACKUP_KEY_PREFIX, CHUNK_OVERHEAD_BYTES, CHUNK_SIZE_CEILING, CHUNK_SIZE_FLOOR, DEFAULT_AVG_CHUNK_BYTES,
  DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MIN_CHUNK_BYTES, HOLD_MAX_MS
} from './constants.ts'
export {
  BackupKeyExistsError, BackupKeyFormatError, BackupKeyMissingError, BackupKeyPermissionsError,
  BackupFormatError, BackupBusyError, BackupHolderError, BackupKeyMismatchError, BackupRestoreError, BackupKeyUnreadableError, BackupSourceError, ChunkDecryptError, ChunkFormatError, InvalidBackupInputError, NoBackupKeyError, UnknownBackupError
} from './errors.ts'
export type { ChunkStoreDamage, ChunkStoreOptions, ChunkStoreStats, ChunkToStore } from './chunk-store.ts'
export {
  CHALLENGE_NONCE_MAX_BYTES, CHALLENGE_NONCE_MIN_BYTES, MAX_STORE_BATCH_BYTES, MAX_STORE_IDS, PACK_RECORD_HEADER_BYTES,
  PACK_TARGET_BYTES
} from './constants.ts'
export {
  ChunkDamagedError, ChunkDigestMismatchError, ChunkStoreBrokenError, ChunkStoreClosedError, ChunkStoreFullError,
  ChunkStoreLockedError
} from './errors.ts'
