/** Limits and tuning of exports and imports (docs/operations.md, "Export and import"). */

/** Records the exporter asks a room or an agent for in one page: the entity answers at most its
 * MAX_EXPORT_PAGE_RECORDS and its byte budget; a few thousand records a hop keep the mesh's cost
 * per record small. */
export const EXPORT_PAGE_RECORDS = 10_000

/** Pages asked for at once, ahead of what is written: reading the next pages from the owner while
 * the last one is converted and sent hides the hop; each holds at most EXPORT_PAGE_BYTES of text,
 * so this bounds an export's memory to a few MiB. */
export const EXPORT_PAGES_IN_FLIGHT = 4

/** The text written out at once (characters): many records a write, so that a stream's cost per
 * record is small, and never more than this in memory besides the pages. Below V8's large objects
 * (128 KiB: a chunk is flattened into one string, two bytes a character where a text needs it, and
 * encoded into a Buffer of its own): a string or Buffer past that is mapped fresh from the kernel
 * and unmapped once collected, page faults and all. Made into UTF-8 bytes here, 32,768 to 100,000
 * characters went at 1.1–1.4 GB/s, 262,144 (the value before) at 0.22; texts of two-byte
 * characters 0.42 GB/s at 49,152 and 0.09 at 65,536. */
export const EXPORT_CHUNK_CHARS = 48 * 1024

/** The Buffers a room's JSON export made from this node's store is written into (framed-writer.ts):
 * below V8's and malloc's large objects, as EXPORT_CHUNK_CHARS is. */
export const PACKED_CHUNK_BYTES = 64 * 1024

/** How long one page or one import batch may take at most: a batch is one durable write of up to
 * MAX_IMPORT_BATCH_POSTS posts on W replicas, a page one journal read; far longer is a stuck owner. */
export const TRANSFER_ASK_TIMEOUT_MS = 30_000

/** Who posts an import made through the admin API (its poster of record) unless it names a user:
 * the admin, as the admin's other actions are recorded. */
export const ADMIN_IMPORTER = 'admin'

/** Waits before each try again of an import batch that failed for a while (no owner yet, a move,
 * a timeout): a room that moves is back within a second or two; past the last the import fails,
 * and running it again goes on where it stopped (the watermark skips what landed). */
export const IMPORT_RETRY_DELAYS_MS: readonly number[] = [100, 250, 500, 1_000, 2_000]

/** Records an export reads from this node's own replica at once: a page asked of an owner is large
 * to spread a hop's cost, but a read of the local store has no hop to hide, and the objects of a
 * small page (records decoded, made into lines) die young. Export through three nodes here, in
 * interleaved rounds: about 57 MiB/s at 1,000 and at 500, 53 at 2,000, 50 at 10,000, 51 at 250. */
export const LOCAL_PAGE_RECORDS = 1_000

/** What an import's check keeps of what it read, at most (about: a text's UTF-16 size and
 * ITEM_OVERHEAD_BYTES a post), so that the send does not parse the file again: an export of a room
 * of some 50,000 chat posts fits; a larger one is read again from its spool, never held whole. */
export const KEPT_IMPORT_BYTES = 32 * 1024 * 1024

/** What a kept post costs besides its text (its object, author, seq, time, client id), about. */
export const ITEM_OVERHEAD_BYTES = 160
