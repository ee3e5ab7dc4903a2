/** Errors of exports and imports at the node (the format's own are protocols/transfer's). */

/** An import file is larger than MAX_IMPORT_FILE_BYTES: nothing was written. */
export class ImportTooLargeError extends Error {
  override readonly name = 'ImportTooLargeError'
  readonly kind = 'exhausted'
}
