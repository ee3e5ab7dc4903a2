/**
 * Errors of reading an export for an import, one class per failure, matched by `name`. They cross
 * the wire as themselves (the mesh knows every error class protocols/ exports).
 */

/** An export's header or one of its records is not what the format says: `record` is its number
 * in the file (0: the header), `field` the field at fault. Nothing was written. */
export class ExportRecordError extends Error {
  override readonly name = 'ExportRecordError'
  readonly kind = 'invalid'
  readonly record: number
  readonly field: string
  constructor (record: number, field: string, why: string) {
    super(`${record === 0 ? 'header' : `record ${record}`}: ${field}: ${why}; nothing was imported`)
    this.record = record
    this.field = field
  }
}

/** An export of a kind that cannot go where it was sent (a user's export, an agent's into a room). */
export class ExportKindError extends Error {
  override readonly name = 'ExportKindError'
  readonly kind = 'invalid'
}
