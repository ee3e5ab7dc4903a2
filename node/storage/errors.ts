/** A stored record does not match its hash (a flipped byte, a torn write, a moved value). */
export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError'
  readonly kind = 'internal'
  readonly key: string
  constructor (key: string, why: string) {
    super(`corrupt record at ${printable(key)}: ${why}`)
    this.key = key
  }
}

export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError'
  readonly kind = 'unavailable'
  constructor () { super('the store is closed') }
}

/** The data dir holds a store of another format (or something that is not a Plexi store). */
export class StoreFormatError extends Error {
  override readonly name = 'StoreFormatError'
  readonly kind = 'internal'
}

/** Another process (another node on the same data dir) holds the store open. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError'
  readonly kind = 'unavailable'
  constructor (dir: string, cause: unknown) {
    super(`the data dir ${dir} is in use by another process (LevelDB lock held); give each node its own --data-dir`, { cause })
  }
}

/** Keys use '\x00' as a separator; show them readably in messages. */
export function printable (key: string): string {
  return JSON.stringify(key.replaceAll('\x00', '|'))
}
