/**
 * What a worker thread may take of identity without loading it: the words for a secret file others
 * can read. A light entry imports nothing from another folder and no package
 * (test/docs/architecture.spec.ts); the folder's index loads libp2p's keys and TLS.
 */
export { permissionsTooOpen } from './secret-file.ts'
