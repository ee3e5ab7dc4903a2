export { LevelStore } from './level-store.ts'
export type { LevelStoreOptions } from './level-store.ts'
export { CorruptRecordError, StoreClosedError, StoreFormatError, StoreLockedError } from './errors.ts'
export { seal, unseal, sealDigest } from './record-seal.ts'
