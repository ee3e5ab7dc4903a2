/** On-disk layout version; a store written by another layout is refused with StoreFormatError
 * instead of being misread. Format 1 kept one journal per entity (`j\0`, `s\0` keys); format 2
 * keeps replicas by partition (node/replication/replica/level-replica-storage.ts), which upgrades a
 * format-1 store in place when it opens it. */
export const STORE_FORMAT = 'plexi-store/2'
/** Formats this version opens (older ones are upgraded by their reader). */
export const READABLE_FORMATS: readonly string[] = ['plexi-store/1', STORE_FORMAT]

/** First byte of every stored value: which seal (hash) protects it. 1 = SHA-256 over key ‖ payload. */
export const SEAL_SHA256 = 1
export const SEAL_HEADER_BYTES = 1 + 32

export const META_FORMAT_KEY = 'm\x00format'

/** Most operations in one LevelDB batch of the group-commit writer: bounds the memory and the
 * latency of one write while still sharing one fsync among many appends. */
export const MAX_BATCH_OPS = 4096

/** @default true: every batch is fsynced before its writes resolve (durable across power loss,
 * not only process crashes). ~0.5 ms per batch on the dev machine's disk; batches are shared. */
export const DEFAULT_SYNC = true

/** Entries a range read of a run of keys may read for each key it looks for (the run's other
 * entries lie between them; a range read charges no seek, a point read may): what it does not
 * reach is read key by key. */
export const RUN_SPREAD = 8

/** What an iterator reads from LevelDB in one native step, at most (bytes, a little over): the
 * records of a long range come a thousand a step, not classic-level's default 16 KiB (about fifty
 * records), whose per-step cost made a journal read a sixth slower or more (4.3 against 3.7 µs a
 * record over 100,000). A step holds no more than this in memory besides its last entry. */
export const READ_STEP_BYTES = 1024 * 1024
