/** Limits and names of Plexi's export format (docs/api.md, "Export and import"). */

/** The format every export names in its header; a reader refuses any other. */
export const EXPORT_FORMAT = 'plexi-export/1'

/** The formats an export is written in: lossless JSON (one record a line inside one object),
 * NDJSON (a header line, then one record a line) and Markdown (to read, not to import). */
export const EXPORT_FORMATS = ['json', 'ndjson', 'md'] as const

/** The longest line an import reads (one record as JSON): a post's text is at most 1 MiB of UTF-8,
 * which JSON escapes to at most 6 characters a byte (\u00XX), with its other fields. A longer line
 * is no record of ours, and bounds what one line holds in memory. */
export const MAX_EXPORT_LINE_CHARS = 7 * 1024 * 1024

/** Records one import file holds at most: ten million posts, far more than a room of a busy year;
 * the bound is a file that is no export (a loop, garbage), whose passes would never end. */
export const MAX_IMPORT_RECORDS = 10_000_000

/** The most an imported file may be, in bytes, whatever carries it (the admin API's body, a gRPC
 * stream): it is spooled to a temporary file and read twice (checked whole, then imported), so the
 * bound is disk, not memory: ten million records of a few hundred bytes. */
export const MAX_IMPORT_FILE_BYTES = 8 * 1024 * 1024 * 1024

/** The longest author name an export record may carry: a user, an agent's display name
 * (`<user>'s agent`), a plugin's bot (`<plugin>[bot]`). */
export const MAX_RECORD_USER_LENGTH = 256

/** The longest source id an export header may carry (a room's and an agent's watermarks are kept
 * by it, so it must fit what they take: actors/entities MAX_IMPORT_SOURCE_LENGTH). */
export const MAX_SOURCE_LENGTH = 256
