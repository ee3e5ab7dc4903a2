/** A configuration value is missing, unknown or malformed; `key` names it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly kind = 'invalid'
  readonly key: string
  constructor (key: string, message: string) {
    super(message)
    this.key = key
  }
}
