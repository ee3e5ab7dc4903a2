/** Errors of exports and imports at the node (the format's own are protocols/transfer's). */

/** An import file is larger than MAX_IMPORT_FILE_BYTES: nothing was written. */
export class ImportTooLargeError extends Error {
  override readonly name = 'ImportTooLargeError'
  readonly kind = 'exhausted'
}

/** An export of a room nobody posted in or joined (a room exists once someone did): nothing is
 * exported, rather than an empty file for a misspelt name. */
export class NoSuchRoomError extends Error {
  override readonly name = 'NoSuchRoomError'
  readonly kind = 'not-found'
}
