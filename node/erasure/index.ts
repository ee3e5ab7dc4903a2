/**
 * Erasure and retention: the job that erases a user everywhere (UserErasure), the job that trims
 * every room to its retention (RetentionRunner), the erasure log as every restore applies it
 * (ErasureFilter), and the store compaction every node runs so the space and the old bytes of
 * trimmed and rewritten records leave its LevelDB files.
 */
export { UserErasure } from './user-erasure.ts'
export type { UserErasureOptions } from './user-erasure.ts'
export { RetentionRunner, retentionOf } from './retention-runner.ts'
export type { RetentionRunnerOptions } from './retention-runner.ts'
export { RetentionScheduler } from './retention-scheduler.ts'
export type { RetentionSchedulerOptions } from './retention-scheduler.ts'
export { ERASURE_LOG_ACTOR, ErasureFilter } from './erasure-filter.ts'
export { CompactionQueue, STORE_COMPACTION_PATH, checkStoreCompactionMsg, compactEverywhere, spawnStoreCompaction, storeCompaction } from './store-compaction.ts'
export type { StoreCompactionMsg, StoreCompactionOptions } from './store-compaction.ts'
export { MAX_SCAN_TEXT_BYTES, scanStore } from './store-scan.ts'
export type { ScannableStore } from './store-scan.ts'
export * from './constants.ts'
