/**
 * The load generators and baselines of `npm run bench -- scale`, each a process of its own so that
 * it never shares an event loop with what it measures: autocannon for HTTP, scale-grpc-load.ts for
 * gRPC, scale-bare.ts for the bare servers.
 */
import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { GrpcLoad, GrpcLoadResult } from './scale-grpc-load.ts'

/** What autocannon measured: requests answered per second (its mean over the seconds), the mean
 * latency, and what was not a 2xx. */
export interface HttpLoadResult {
  readonly rate: number, readonly meanMs: number, readonly total: number, readonly non2xx: number, readonly errors: number
  /** Bytes read per answer, headers included (autocannon's throughput over its requests). */
  readonly bytesPerAnswer: number
}

/** The connections of the web API's load: the 50. */
export const HTTP_CONNECTIONS = 50
/** A load process that has not ended this long after its duration is stuck: killed, and the bench fails. */
const LOAD_GRACE_MS = 60_000

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js')
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url))

/** Runs a child to its end (bounded); resolves with its stdout. */
async function output (args: readonly string[], timeoutMs: number): Promise<string> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(stdout)
      else reject(new Error(`${args.slice(0, 2).join(' ')} exited with ${code}: ${stderr.slice(-2000)}`))
    })
  })
}

/** autocannon on `url` with `token` as the bearer, HTTP_CONNECTIONS connections, for `seconds`. */
export async function httpLoad (url: string, token: string, seconds: number, headers: Readonly<Record<string, string>> = {}): Promise<HttpLoadResult> {
  const more = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}=${value}`])
  const text = await output([AUTOCANNON, '-c', String(HTTP_CONNECTIONS), '-d', String(seconds), '-H', `authorization=Bearer ${token}`, ...more, '--json', url], seconds * 1000 + LOAD_GRACE_MS)
  const j = JSON.parse(text) as { requests: { average: number, total: number }, throughput: { total: number }, latency: { average: number }, non2xx: number, errors: number, timeouts: number }
  return { rate: j.requests.average, meanMs: j.latency.average, total: j.requests.total, non2xx: j.non2xx, errors: j.errors + j.timeouts, bytesPerAnswer: j.requests.total > 0 ? j.throughput.total / j.requests.total : 0 }
}

/** scale-grpc-load.ts with `load` (its config written to `dir`). */
export async function grpcLoad (dir: string, load: GrpcLoad): Promise<GrpcLoadResult> {
  const file = join(dir, `grpc-load-${process.hrtime.bigint()}.json`)
  await writeFile(file, JSON.stringify(load))
  // a following load first calls once per user (at 100 a second at the slowest)
  const learning = load.follow === true ? load.tokens.length * 10 : 0
  return JSON.parse(await output([here('./scale-grpc-load.ts'), file], (load.warmupSeconds + load.seconds) * 1000 + learning + LOAD_GRACE_MS)) as GrpcLoadResult
}

/** The bare servers (scale-bare.ts), listening; `stop()` ends them. */
export interface BareServers { readonly http: string, readonly grpc: string, stop (): Promise<void> }

export async function startBare (dir: string, adminToken: string, tokenHashes: readonly string[]): Promise<BareServers> {
  const file = join(dir, 'bare.json')
  await writeFile(file, JSON.stringify({ adminToken, tokenHashes }))
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, [here('./scale-bare.ts'), file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const ports = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the bare servers did not listen within 30 s: ${stderr}`)) }, 30_000)
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /^listening (\d+) (\d+)$/m.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve([m[1] as string, m[2] as string])
      }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the bare servers exited with ${code}: ${stderr}`)) })
  })
  const exited = new Promise<void>((resolve) => { child.on('exit', () => { resolve() }) })
  return {
    http: `127.0.0.1:${ports[0]}`,
    grpc: `127.0.0.1:${ports[1]}`,
    stop: async () => {
      child.kill('SIGTERM')
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 5_000)
      await exited
      clearTimeout(timer)
    }
  }
}
