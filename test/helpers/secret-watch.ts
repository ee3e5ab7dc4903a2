/**
 * Secrets must never reach a log (issue 18). Every log line a test run produces (the stdout and
 * stderr of every node process the helpers start, and the stderr of every CLI run) passes through
 * `checkLogLine`, which looks for the secrets of the run: every token by its shape (`plxa_…`,
 * `plxu_…`: admin, named admin and user tokens are 32 random bytes behind a prefix), backup keys
 * by theirs, and the exact values the helpers register (cluster keys, tokens given in config).
 * A mocha root hook (`.mocharc.json` require) fails the run after the last test (in a parallel
 * run: after each spec file) when any line held one, naming the line. CLI stdout is not a log: `users add` and `tokens add` print the token
 * they make, once, on purpose.
 */

const SHAPES: ReadonlyArray<{ what: string, pattern: RegExp }> = [
  { what: 'a token (plxa_/plxu_)', pattern: /plx[au]_[A-Za-z0-9_-]{43}/ },
  { what: 'a backup key', pattern: /plexi-backup-key-1:[A-Za-z0-9_-]{16,}/ }
]

/** Shorter values would match by chance (and no secret here is that short). */
const MIN_EXACT = 12
/** Leaks kept for the report; one is enough to fail, a few help find the cause. */
const MAX_KEPT = 20

export interface Leak {
  readonly source: string
  readonly what: string
  readonly line: string
}

const exact = new Map<string, string>()
const leaks: Leak[] = []
let checked = 0

/** Registers a secret value (a cluster key's hex, a configured token) to look for in every later line. */
export function watchSecret (value: string, what: string): void {
  const v = value.trim()
  if (v.length >= MIN_EXACT) exact.set(v, what)
}

/** The first secret `line` holds, or undefined. */
export function findSecret (line: string): string | undefined {
  for (const { what, pattern } of SHAPES) if (pattern.test(line)) return what
  for (const [value, what] of exact) if (line.includes(value)) return what
  return undefined
}

/** Checks one line of log output from `source` (a node's data dir, `plexi ARGS`). */
export function checkLogLine (source: string, line: string): void {
  checked++
  const what = findSecret(line)
  if (what !== undefined && leaks.length < MAX_KEPT) leaks.push({ source, what, line: line.length > 2_000 ? `${line.slice(0, 2_000)}…` : line })
}

/** Checks a block of output, line by line. */
export function checkLogText (source: string, text: string): void {
  for (const line of text.split('\n')) if (line.length > 0) checkLogLine(source, line)
}

export function leaksSoFar (): readonly Leak[] {
  return leaks
}

export function linesChecked (): number {
  return checked
}

export const mochaHooks = {
  afterAll (): void {
    if (leaks.length === 0) return
    const list = leaks.map((l) => `  ${l.source}: ${l.what} in: ${l.line}`).join('\n')
    const count = leaks.length
    // reported once: in parallel runs this hook closes every spec file a worker runs
    leaks.length = 0
    throw new Error(`a secret appeared in the log output of this run (${count} line(s) of ${checked} checked):\n${list}`)
  }
}
