import { PassThrough } from 'node:stream'
import type { CliIo } from '../../cli/cli-io.ts'
import { main } from '../../cli/main.ts'

/** An io whose output is kept (`out()`, `err()`), with an empty stdin: for commands run in this
 * process. */
export function capturedIo (cwd = process.cwd(), env: Record<string, string> = {}): CliIo & { out: () => string, err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const stdin = new PassThrough()
  stdin.end()
  return { stdout, stderr, stdin, env, cwd, out: () => out, err: () => err }
}

/** Runs `plexi ARGS` in this process (cli/main.ts, as cli/plexi.ts does); its exit code and what
 * it wrote. */
export async function plexiInProcess (args: readonly string[], { cwd = process.cwd(), env = {} }: { cwd?: string, env?: Record<string, string> } = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  const io = capturedIo(cwd, env)
  const code = await main(args, io)
  return { code, stdout: io.out(), stderr: io.err() }
}
