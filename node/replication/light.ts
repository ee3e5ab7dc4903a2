/**
 * What a worker thread may take of the replicas without loading them: the key of a record in a
 * replica store. A light entry imports nothing from another folder and no package
 * (test/docs/architecture.spec.ts); the folder's index loads all of replication.
 */
export { recordKey } from './replica/replica-keys.ts'
