/** Bytes per read of a download, and per message of a copy between members (4 MiB frames). */
export const COPY_CHUNK_BYTES = 1_048_576
/** How long one copy message may wait for its answer (a chunk written, a commit checked: the
 * commit hashes nothing again, but validates the GGUF). */
export const COPY_ASK_MS = 60_000
/** Copies a member receives at once. */
export const MAX_INCOMING_COPIES = 2
/** An incoming copy with no chunk for this long is dropped, its partial file removed. */
export const COPY_IDLE_MS = 120_000
/** Tries of a download that breaks off (each resumes where the last ended), with this wait before
 * the second, doubling up to DOWNLOAD_RETRY_MAX_MS. */
export const DOWNLOAD_TRIES = 6
export const DOWNLOAD_RETRY_MS = 500
export const DOWNLOAD_RETRY_MAX_MS = 8_000
/** A download that receives nothing for this long breaks off (and is tried again). */
export const DOWNLOAD_STALL_MS = 60_000
/** Redirects followed (Hugging Face answers a file with one or two: to its CDN). */
export const MAX_REDIRECTS = 8
/** How often a pull reports its progress to its job. */
export const PROGRESS_EVERY_MS = 500
/** Where downloads and copies are written until checked (a folder of the models dir the registry
 * does not read). */
export const PARTIAL_DIR = '.partial'
/** Longest source a pull takes (a URL or hf: name). */
export const MAX_SOURCE = 2048
/** Room kept free on the models dir's disk beyond the model's own size. */
export const FREE_MARGIN_BYTES = 64 * 1_048_576
