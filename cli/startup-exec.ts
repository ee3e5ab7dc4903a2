import { flushCompileCache, getCompileCacheDir } from 'node:module'
import { dirname } from 'node:path'

/** Node's flag for the size of each of the V8 young generation's two semi-spaces, in MiB. */
export const SEMI_SPACE_FLAG = '--max-semi-space-size'

/** What startupExec reads of the process (`process` itself in the CLI). */
export interface ProcessArgs {
  readonly execPath: string
  readonly execArgv: readonly string[]
  readonly argv: readonly string[]
  readonly env: NodeJS.ProcessEnv
}

/** The command line and environment to run this process again with. */
export interface StartupExec {
  readonly args: string[]
  readonly env: NodeJS.ProcessEnv
}

/** Whether Node was given the flag already (on its command line or in NODE_OPTIONS). */
function hasSemiSpaceFlag (proc: ProcessArgs): boolean {
  const given = (arg: string): boolean => arg === SEMI_SPACE_FLAG || arg.startsWith(`${SEMI_SPACE_FLAG}=`) ||
    arg === '--max_semi_space_size' || arg.startsWith('--max_semi_space_size=')
  return proc.execArgv.some(given) || (proc.env.NODE_OPTIONS ?? '').split(/\s+/).some(given)
}

/**
 * How to run this process again so that what Node and V8 read only as a process starts is as the
 * node wants it, or undefined when it is already (or cannot be):
 * - V8's semi-spaces at `mib` MiB (`--max-semi-space-size`): V8 sizes its heap as the process
 *   starts, v8.setFlagsFromString afterwards changes nothing. Not with `mib` 0 (V8's default), nor
 *   when Node was given the flag (by the operator: theirs is kept; or by the first run).
 * - the compile cache (`compileCacheDir`, where cli/plexi.ts enabled it; undefined when it is off)
 *   in NODE_COMPILE_CACHE: enabled from the first file on, in this process and its worker threads,
 *   so that no .ts file of a warm cache is type-stripped again. Stripping loads Node's TypeScript
 *   stripper (WebAssembly) into each thread that strips, 12 MiB and more that stay.
 */
export function startupExec (mib: number, compileCacheDir: string | undefined, proc: ProcessArgs): StartupExec | undefined {
  if (!Number.isInteger(mib) || mib < 0) throw new RangeError(`max-semi-space-size: expected a whole number of MiB, 0 or more, got ${String(mib)}`)
  const semiSpace = mib > 0 && !hasSemiSpaceFlag(proc)
  const cache = compileCacheDir !== undefined && (proc.env.NODE_COMPILE_CACHE ?? '') === ''
  if (!semiSpace && !cache) return undefined
  return {
    args: [proc.execPath, ...(semiSpace ? [`${SEMI_SPACE_FLAG}=${mib}`] : []), ...proc.execArgv, ...proc.argv.slice(1)],
    env: cache ? { ...proc.env, NODE_COMPILE_CACHE: compileCacheDir } : proc.env
  }
}

/**
 * Replaces this process (execve: the same pid, its open files, so that a service manager, a pid
 * file or a parent waiting on it see no difference) with the same command as startupExec says, when
 * it says to and the platform can (Node's process.execve: not on Windows, nor in a worker thread).
 * Call it before anything is written or started: nothing of this process outlives the call when
 * it replaces it. docs/operations.md, "Memory".
 */
export function execForNode (mib: number): void {
  const cacheDir = getCompileCacheDir()
  // (the directory Node reports is a per-version folder under the one NODE_COMPILE_CACHE names)
  const exec = startupExec(mib, cacheDir === undefined ? undefined : dirname(cacheDir), process)
  if (exec === undefined || typeof process.execve !== 'function') return
  process.execve(process.execPath, exec.args, exec.env)
}

/** When the compile cache is written again after a node's start, for what loads late (ms). */
export const LATE_CACHE_FLUSH_MS = 60_000

/**
 * Writes the compile cache of what the node loaded so far to disk now, and once more
 * LATE_CACHE_FLUSH_MS later (a timer that holds nothing open), rather than only at a clean exit:
 * a node that is killed, or that crashes, after an upgrade would otherwise type-strip the changed
 * files at every start, and stripping loads Node's TypeScript stripper into the process for good
 * (12 MiB and more of RSS: docs/operations.md, "Memory"). Nothing happens where the cache is off.
 */
export function persistCompileCache (): void {
  if (getCompileCacheDir() === undefined) return
  flushCompileCache()
  setTimeout(() => { flushCompileCache() }, LATE_CACHE_FLUSH_MS).unref()
}
