/** Bad command line (unknown flag, missing argument, bad value): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** The command ran and failed (node unreachable, refused, not found): exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError'
}
