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

/**
 * LevelDB's write buffer (write_buffer_size), the `store-write-buffer` key's default: 32 MiB where
 * LevelDB's own is 4. Every record lands on each replica, and LevelDB's compactions of a store
 * receiving a bulk import used more than half as much CPU as the node's own thread: with tables
 * eight times larger there are fewer of them to merge, and the store's threads used 40% less CPU
 * over 480,000 posts imported into three nodes holding 300,000 (5.1 → 3.0 CPU-s a node; the import
 * 21,200–21,700 → 24,800–28,400 posts/s on this 2-core machine).
 * The memory is taken as writes come (at most twice this while a full buffer is written out).
 */
export const STORE_WRITE_BUFFER_BYTES = 32 * 1024 * 1024

/** Entries a range read of a run of keys may read for each key it looks for (the run's other
 * entries lie between them; a range read charges no seek, a point read may): what it does not
 * reach is read key by key. */
export const RUN_SPREAD = 8

/** What an iterator reads from LevelDB in one native step, at most (bytes, a little over): the
 * records of a long range come a thousand a step, not classic-level's default 16 KiB (about fifty
 * records), whose per-step cost made a journal read a sixth slower or more (4.3 against 3.7 µs a
 * record over 100,000). A step holds no more than this in memory besides its last entry. */
export const READ_STEP_BYTES = 1024 * 1024
