/**
 * What a worker thread may take of the store without loading it: the seals and their error. A
 * light entry imports nothing from another folder and no package (test/docs/architecture.spec.ts),
 * so a thread pays only for these few modules (the store's index loads LevelDB).
 */
export { seal, sealDigest, sealIntact, unseal } from './record-seal.ts'
export { CorruptRecordError } from './errors.ts'
