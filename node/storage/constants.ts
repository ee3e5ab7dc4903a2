/** On-disk layout version; a store written by another layout is refused with StoreFormatError
 * instead of being misread. */
export const STORE_FORMAT = 'plexi-store/1'

/** First byte of every stored value: which seal (hash) protects it. 1 = SHA-256 over key ‖ payload. */
export const SEAL_SHA256 = 1
export const SEAL_HEADER_BYTES = 1 + 32

/** Key prefixes. '\x00' separates parts: entity ids never contain control characters. */
export const JOURNAL_PREFIX = 'j\x00'
export const SNAPSHOT_PREFIX = 's\x00'
export const META_FORMAT_KEY = 'm\x00format'

/** Seqs are stored as 16 lowercase hex digits so that keys sort in seq order. */
export const SEQ_HEX_DIGITS = 16

/** Most operations in one LevelDB batch of the group-commit writer: bounds the memory and the
 * latency of one write while still sharing one fsync among many appends. */
export const MAX_BATCH_OPS = 4096

/** Records returned by one `read` at most, whatever the caller asks. */
export const MAX_READ_LIMIT = 10_000

/** @default true: every batch is fsynced before its appends resolve (durable across power loss,
 * not only process crashes). ~0.5 ms per batch on the dev machine's disk; batches are shared. */
export const DEFAULT_SYNC = true
