/** The composition root. For now: the node's storage. */
export * from './storage/index.ts'
