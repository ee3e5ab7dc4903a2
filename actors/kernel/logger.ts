/** The slice of pino's interface the kernel uses; node/ hands in a pino logger. */
export interface Logger {
  debug (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

function noop (): void {}

/** For libraries and tests that do not care; the node always passes a real logger. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop })
