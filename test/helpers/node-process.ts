import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Readable, Writable } from 'node:stream'
import * as grpc from '@grpc/grpc-js'
import { loadAgentService, loadChatService } from '../../protocols/grpc/index.ts'
import { grpcTlsOptions } from '../../cli/client-tls.ts'
import { watchNodeLogs } from './failure-logs.ts'
import { checkLogLine, checkLogText } from './secret-watch.ts'
import { tempDir } from './temp-dir.ts'

export const CLI = fileURLToPath(new URL('../../cli/plexi.ts', import.meta.url))

export interface NodeProcess {
  readonly pid: number
  readonly grpc: string
  readonly admin: string
  readonly dataDir: string
  readonly adminToken: string
  /** Whether it serves TLS (started with --tls-cert and --tls-key): its admin URL is https://. */
  readonly tls: boolean
  /** Every log line so far (parsed JSON). */
  readonly logs: Array<Record<string, unknown>>
  /** The process's exit, once every line it wrote before it has been read into `logs`. */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Whether the process has exited. */
  readonly hasExited: boolean
  /** The first log line (already logged or to come) that `match` accepts; rejects after `timeout`
   * ms, or when the process exits without logging one. */
  awaitLog (match: (entry: Record<string, unknown>) => boolean, what: string, timeout?: number): Promise<Record<string, unknown>>
  /** Sends the signal and waits (at most `timeout` ms) for the exit (and its last lines read). */
  stop (signal?: NodeJS.Signals, timeout?: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/**
 * Rate limits are for people; tests send in bursts as fast as the machine goes, and a limit that
 * refills over time would make them depend on that speed (a flake). Every node a test starts has
 * them lifted; a test whose subject is a limit sets its own flags, which come later and win. The
 * request rate per client address too (`--ip-rate 0`): a test or a bench drives all its users from
 * 127.0.0.1, where real users come from many addresses.
 */
export const NO_RATE_LIMITS: readonly string[] = ['--chat-rate', '100000', '--chat-burst', '100000', '--agent-requests-per-min', '1000000', '--agent-tokens-per-min', '1000000000', '--ip-rate', '0', '--user-rate', '0']

/** How long a node process may take to log "node ready" by default. A node loads every module of
 * the runtime before its first line, a few seconds of CPU: on two cores under a full npm test (two
 * spec files of node processes at once, load 7 to 13) that took 12-30 s, and past 40 s for one
 * (it had logged nothing yet). A bound for a process that never starts, not a measure of speed. */
export const NODE_BOOT_MS = 120_000

/**
 * Starts `plexi node start --role all` as a child process on free loopback ports (port 0) and waits
 * for its "node ready" log line. Every wait is bounded; on failure the child is killed and its
 * output is in the error. Rate limits are lifted (NO_RATE_LIMITS) unless `extraArgs` set them.
 */
export async function startNodeProcess (dataDir: string, extraArgs: readonly string[] = [], timeout = NODE_BOOT_MS,
  prefix: readonly string[] = [], until = 'node ready'): Promise<NodeProcess> {
  // until: the log line to wait for ('node ready'; 'waiting to hear' for a node held back by --join)
  // prefix: a command to run the node under (e.g. `ip netns exec NS`); it must exec the node in place
  const [command, ...before] = [...prefix, process.execPath]
  // PLEXI_NODE_CPU_PROF=DIR: each node process writes a V8 CPU profile into DIR when it exits (a
  // bench's nodes profiled where they run; NODE_OPTIONS refuses --cpu-prof)
  const profile = process.env.PLEXI_NODE_CPU_PROF !== undefined && process.env.PLEXI_NODE_CPU_PROF !== '' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PLEXI_NODE_CPU_PROF}`] : []
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(command as string, [...before, ...profile,
    CLI, 'node', 'start', '--role', 'all', '--data-dir', dataDir,
    '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', ...NO_RATE_LIMITS, ...extraArgs
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PLEXI_ADMIN_TOKEN: '', PLEXI_CONFIG: '' } })
  const logs: Array<Record<string, unknown>> = []
  /** Called with every log line as it comes (awaitLog). */
  const listeners = new Set<(entry: Record<string, unknown>) => void>()
  let stderr = ''
  let buffered = ''
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => { resolve({ code, signal }) })
  })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  // every line the node wrote has been read (which may be after its exit)
  const outputEnded = new Promise<void>((resolve) => { child.stdout.on('close', resolve) })
  let read = false
  void outputEnded.then(() => { read = true })
  // a failed test prints what the node logged (failure-logs.ts)
  watchNodeLogs(`node pid ${child.pid ?? '?'} (${dataDir})`, logs, () => stderr, () => read)
  /** The exit, once the lines the node wrote before it have been read too (they may still be in
   * the pipe when the process is gone: a test that reads `logs` after the exit must see them).
   * The wait for the pipe is bounded, should a process the node started hold it open. */
  const exitedAndRead = exited.then(async (exit) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([outputEnded, new Promise((resolve) => { timer = setTimeout(resolve, 5_000) })])
    clearTimeout(timer)
    return exit
  })
  // stderr is checked for secrets whole, once the node is gone (a chunk may end mid-line)
  child.stderr.on('close', () => { checkLogText(`node ${dataDir} (stderr)`, stderr) })
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`node did not get ready in ${timeout} ms; stderr: ${stderr}; logs: ${JSON.stringify(logs)}`))
    }, timeout)
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        if (line.trim().length === 0) continue
        checkLogLine(`node ${dataDir}`, line)
        let entry: Record<string, unknown>
        try {
          entry = JSON.parse(line) as Record<string, unknown>
        } catch {
          entry = { msg: line }
        }
        logs.push(entry)
        for (const listener of [...listeners]) listener(entry)
        if (typeof entry.msg === 'string' && entry.msg.startsWith(until)) {
          clearTimeout(timer)
          resolve(entry)
        }
      }
    })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`node exited (code ${code}, signal ${signal}) before it was ready; stderr: ${stderr}; logs: ${JSON.stringify(logs)}`))
    })
  })
  const entry = await ready
  const given = extraArgs.indexOf('--admin-token')
  // a node that is up but whose token cannot be read is no use to the test: it must not outlive it
  const adminToken = given >= 0
    ? extraArgs[given + 1] as string
    : (await readFile(join(dataDir, 'admin-token'), 'utf8').catch((err: unknown) => {
        child.kill('SIGKILL')
        throw err
      })).trim()
  return {
    pid: child.pid as number,
    grpc: entry.grpc as string,
    admin: entry.admin as string,
    dataDir,
    adminToken,
    tls: entry.tls === true,
    logs,
    exited: exitedAndRead,
    get hasExited () { return child.exitCode !== null || child.signalCode !== null },
    awaitLog (match, what, wait = 20_000) {
      const seen = logs.find(match)
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer)
          listeners.delete(listener)
        }
        const listener = (entry: Record<string, unknown>): void => {
          if (!match(entry)) return
          done()
          resolve(entry)
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`no log line ${what} within ${wait} ms`))
        }, wait)
        listeners.add(listener)
        void outputEnded.then(() => {
          if (!listeners.has(listener)) return
          done()
          reject(new Error(`the node exited (${child.exitCode ?? child.signalCode}) without logging ${what}`))
        })
      })
    },
    async stop (signal: NodeJS.Signals = 'SIGTERM', wait = 20_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL')
          reject(new Error(`node did not exit within ${wait} ms of ${signal}`))
        }, wait)
      })
      try {
        return await Promise.race([exitedAndRead, timedOut])
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

/** How long a `plexi` command may take to finish by default: it loads its modules before it does
 * anything (`plexi admin storage` took past 20 s beside a full npm test on two cores, load 20). A
 * bound for a command that hangs, not a measure of speed. */
export const CLI_RUN_MS = 120_000

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `plexi ARGS` to completion (at most `timeout` ms), optionally writing `input` to stdin.
 * `throughShellPipe`: as `plexi ARGS | cat` (a real pipe; the exit code is then cat's). */
export async function runCli (args: readonly string[], options: { env?: Record<string, string>, input?: string, timeout?: number, cwd?: string, prefix?: readonly string[], throughShellPipe?: boolean } = {}): Promise<CliResult> {
  const [command, ...before] = [...options.prefix ?? [], process.execPath]
  const argv = [...before, CLI, ...args]
  const env = { ...process.env, PLEXI_ADMIN_TOKEN: '', PLEXI_TOKEN: '', PLEXI_USER: '', PLEXI_ADDR: '', PLEXI_ADMIN_ADDR: '', PLEXI_DATA_DIR: '', ...options.env }
  const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`
  const child: ChildProcessByStdio<Writable, Readable, Readable> = options.throughShellPipe === true
    ? spawn('/bin/sh', ['-c', `${[command as string, ...argv].map(quote).join(' ')} | cat`], { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd, env })
    : spawn(command as string, argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: options.cwd,
    env
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.stdin.end(options.input ?? '')
  const timeout = options.timeout ?? CLI_RUN_MS
  return await new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`plexi ${args.join(' ')} did not finish in ${timeout} ms; stdout: ${stdout}; stderr: ${stderr}`))
    }, timeout)
    // 'close', not 'exit': output may still be in the pipes when the process has exited
    child.on('close', (code) => {
      clearTimeout(timer)
      checkLogText(`plexi ${args.join(' ').slice(0, 200)} (stderr)`, stderr)
      resolve({ code, stdout, stderr })
    })
  })
}

type Callback = (err: grpc.ServiceError | null, res: unknown) => void

/** A gRPC client for tests: `call` for unary methods, `stream` for server streams; with `ca`, over
 * TLS trusting it (as the CLI's --tls-ca). */
function serviceClient (load: () => { Client: grpc.ServiceClientConstructor }, address: string, token: string | undefined, ca?: Buffer): {
  call: <T>(method: string, request: unknown) => Promise<T>
  stream: <E>(method: string, request: unknown) => grpc.ClientReadableStream<E>
  close: () => void
} {
  const { Client } = load()
  const tls = ca === undefined ? undefined : grpcTlsOptions(address)
  const client = (tls === undefined
    ? new Client(address, grpc.credentials.createInsecure())
    : new Client(address, grpc.credentials.createSsl(ca ?? null, null, null, tls.checkServerIdentity === undefined ? {} : { checkServerIdentity: tls.checkServerIdentity }), tls.channel)) as grpc.Client & Record<string, (...args: unknown[]) => unknown>
  const metadata = new grpc.Metadata()
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`)
  return {
    call: <T>(method: string, request: unknown) => new Promise<T>((resolve, reject) => {
      (client[method] as (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => void)
        .call(client, request, metadata, { deadline: Date.now() + 15_000 }, (err, res) => { if (err !== null) reject(err); else resolve(res as T) })
    }),
    stream: <E>(method: string, request: unknown) => (client[method] as (req: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<E>).call(client, request, metadata),
    close: () => { client.close() }
  }
}

/** A gRPC chat client for tests: `call` for unary methods, `subscribe` for the stream; `ca`: over TLS. */
export function chatClient (address: string, token: string | undefined, ca?: Buffer): {
  call: <T>(method: string, request: unknown) => Promise<T>
  subscribe: (room: string, after: number) => grpc.ClientReadableStream<{ message?: { seq: number, user: string, text: string, kind: string }, live?: { lastSeq: number } }>
  close: () => void
} {
  const client = serviceClient(loadChatService, address, token, ca)
  return { call: client.call, subscribe: (room, after) => client.stream('Subscribe', { room, after }), close: client.close }
}

export interface AskEvent {
  started?: { requestId: string }
  queued?: { position: number }
  token?: { text: string }
  done?: {
    requestId: string, model: string, stopReason: string, promptTokens: number, completionTokens: number, droppedTurns: number, ttftMs: number, durationMs: number,
    cachedTokens?: number, cache?: string
  }
  toolCall?: { id: string, name: string, arguments: string }
  toolResult?: { id: string, name: string, isError: boolean, text: string, clipped: boolean }
}

/** A gRPC agent client for tests: `call` for unary methods, `ask` for the answer's stream (`tool`:
 * the tool the agent must call first); `ca`: over TLS. */
export function agentClient (address: string, token: string | undefined, ca?: Buffer): {
  call: <T>(method: string, request: unknown) => Promise<T>
  ask: (text: string, user?: string, tool?: string) => grpc.ClientReadableStream<AskEvent>
  close: () => void
} {
  const client = serviceClient(loadAgentService, address, token, ca)
  return { call: client.call, ask: (text, user = '', tool) => client.stream('Ask', { text, user, ...(tool !== undefined && { tool }) }), close: client.close }
}

/** Reads an Ask stream to its end: every event in order, or the error that ended it. */
export function collectAnswer (stream: grpc.ClientReadableStream<AskEvent>, timeout = 60_000): Promise<{ events: AskEvent[], error?: grpc.ServiceError }> {
  const events: AskEvent[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.cancel()
      reject(new Error(`the answer did not end within ${timeout} ms (${events.length} events)`))
    }, timeout)
    stream.on('data', (event: AskEvent) => { events.push(event) })
    stream.on('error', (error: grpc.ServiceError) => { clearTimeout(timer); resolve({ events, error }) })
    stream.on('end', () => { clearTimeout(timer); resolve({ events }) })
  })
}

/** One whole agent turn: its `done` and its text; throws when the answer failed or had no `done`. */
export async function agentTurn (client: { ask: (text: string) => grpc.ClientReadableStream<AskEvent> }, text: string, timeout = 60_000): Promise<{ done: NonNullable<AskEvent['done']>, text: string }> {
  const { events, error } = await collectAnswer(client.ask(text), timeout)
  if (error !== undefined) throw new Error(`the answer to "${text}" failed: ${error.details}`)
  const done = events.find((e) => e.done != null)?.done
  if (done == null) throw new Error(`the answer to "${text}" ended without done`)
  return { done, text: events.filter((e) => e.token != null).map((e) => e.token?.text ?? '').join('') }
}

/**
 * A node process for the tests of the calling `describe`: started in a fresh temp dir before them
 * (its data dir is `dataDir(dir)`, the temp dir itself by default) and stopped after them.
 */
export function useNodeProcess (args: readonly string[] = [], dataDir: (dir: string) => string = (dir) => dir): { readonly node: NodeProcess, readonly dir: string } {
  let dir: { path: string, remove: () => Promise<void> } | undefined
  let node: NodeProcess | undefined
  before(async () => {
    dir = await tempDir()
    node = await startNodeProcess(dataDir(dir.path), args)
  })
  after(async () => {
    await node?.stop()
    await dir?.remove()
  })
  return {
    get node () { if (node === undefined) throw new Error('the node starts in before()'); return node },
    get dir () { if (dir === undefined) throw new Error('the node starts in before()'); return dir.path }
  }
}
