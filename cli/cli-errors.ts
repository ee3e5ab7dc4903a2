/** Bad command line (unknown flag, missing argument, bad value): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** The command ran and failed (node unreachable, refused, not found): exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError'
  /** An admin request's answer: its HTTP status, stable code and message (absent otherwise). */
  readonly answer: { readonly status: number, readonly code: string | undefined, readonly message: string } | undefined

  /** A gRPC call's failure: its status code and details (absent otherwise). */
  readonly call: { readonly code: number, readonly details: string } | undefined

  constructor (message: string, answer?: { status: number, code: string | undefined, message: string }, call?: { code: number, details: string }) {
    super(message)
    this.answer = answer
    this.call = call
  }
}
