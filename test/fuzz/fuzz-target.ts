import fc from 'fast-check'

/** How one campaign runs: `seed` and `path` replay a failure exactly (fast-check's own replay). */
export interface FuzzOptions {
  readonly numRuns: number
  /** @default a random seed (printed with any failure) */
  readonly seed?: number
  /** The path of a failure fast-check printed: replays that counterexample and its shrinking. */
  readonly path?: string
}

/**
 * One entry point fuzzed: `run` sets up what it needs (a server, a store in a temp dir), checks its
 * property for `numRuns` inputs, tears down, and resolves with fast-check's details (failed or not,
 * seed, path, counterexample). A failed property is in the details; a target throws only when the
 * whole run failed (the garbage peer's checks after its runs), naming the seed.
 */
export interface FuzzTarget {
  readonly name: string
  /** What is fuzzed, and the property, in one line (the runner prints it). */
  readonly about: string
  /** Runs for `npm run fuzz` without --runs. */
  readonly defaultRuns: number
  run (options: FuzzOptions): Promise<fc.RunDetails<unknown>>
}

/** fast-check's parameters for `options`: the seed (drawn here when none is given, so that it can
 * be printed) and the replay path; `endOnFailure` when replaying, so a replay does not shrink again. */
export function parameters (options: FuzzOptions): fc.Parameters<unknown> {
  return {
    numRuns: options.numRuns,
    seed: options.seed ?? Math.floor(Math.random() * 0x7fffffff),
    ...(options.path !== undefined && { path: options.path, endOnFailure: true })
  }
}

/** The command that replays a failure of `target`. */
export function replayCommand (target: string, details: fc.RunDetails<unknown>): string {
  return `npm run fuzz -- --only ${target} --seed ${details.seed}${details.counterexamplePath === null ? '' : ` --path ${details.counterexamplePath}`}`
}

/** Throws fast-check's report of a failed run, with the replay command (for mocha). */
export function expectPassed (target: string, details: fc.RunDetails<unknown>): void {
  if (!details.failed) return
  throw new Error(`${fc.defaultReportMessage(details) ?? 'failed'}\nreplay: ${replayCommand(target, details)}`)
}
