import type { Readable, Writable } from 'node:stream'

/** What a command may touch of the outside; tests pass their own. */
export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean }
  readonly stderr: Writable
  readonly stdin: Readable & { isTTY?: boolean }
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
}

export function processIo (): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() }
}

/** Whether a stream is a terminal (where bars and live views go; plain lines elsewhere). */
export function isTerminal (stream: unknown): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true
}

export function printJson (io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** A plain table: a header row, then rows; columns padded to their widest cell. */
export function printTable (io: CliIo, header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  for (const line of tableLines(header, rows)) io.stdout.write(`${line}\n`)
}

/** The lines of printTable's table, without their line ends. */
export function tableLines (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}
