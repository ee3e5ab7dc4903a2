import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { MAX_PLUGIN_LOG_LINE, MAX_PLUGIN_MESSAGE_BYTES, PLUGIN_LOG_LINES, PLUGIN_STOP_GRACE_MS } from './constants.ts'
import type { LaunchPlan } from './plugin-sandbox.ts'

/** How a plugin process ended. */
export interface ProcessExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface PluginProcessOptions {
  /** A line of its stderr, as it comes (clipped to MAX_PLUGIN_LOG_LINE). */
  readonly onStderr?: (line: string) => void
  /** It broke the stdio protocol (a line over MAX_PLUGIN_MESSAGE_BYTES): it is killed. */
  readonly onBroken?: (why: string) => void
  /** @default MAX_PLUGIN_MESSAGE_BYTES */
  readonly maxMessageBytes?: number
  /** @default PLUGIN_STOP_GRACE_MS */
  readonly stopGraceMs?: number
}

/**
 * One plugin process and the MCP stdio transport over it (the SDK's Transport contract, newline-
 * delimited JSON-RPC). Unlike the SDK's StdioClientTransport it starts the process in a process
 * group of its own (detached), so that a kill takes the plugin's children too; it bounds what it
 * buffers of a line (a plugin that never sends a newline cannot grow the node's memory); it keeps
 * the plugin's stderr (the newest PLUGIN_LOG_LINES lines); and `kill` is immediate, while `close`
 * is a graceful stop (stdin closed, SIGTERM, SIGKILL after the grace).
 */
export class PluginProcess implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void

  readonly #plan: LaunchPlan
  readonly #opts: PluginProcessOptions
  readonly #buffer: ReadBuffer
  readonly #stderr: string[] = []
  #child: ChildProcessByStdio<Writable, Readable, Readable> | undefined
  #exit: ProcessExit | undefined
  readonly #exited: Promise<ProcessExit>
  #resolveExit!: (exit: ProcessExit) => void
  #partialErr = ''
  #badLines = 0
  #broken: string | undefined

  constructor (plan: LaunchPlan, opts: PluginProcessOptions = {}) {
    this.#plan = plan
    this.#opts = opts
    this.#buffer = new ReadBuffer({ maxBufferSize: opts.maxMessageBytes ?? MAX_PLUGIN_MESSAGE_BYTES })
    this.#exited = new Promise((resolve) => { this.#resolveExit = resolve })
  }

  /** Its pid once spawned (the leader of its process group). */
  get pid (): number | undefined { return this.#child?.pid }

  /** Resolves when the process exited (never rejects). */
  get exited (): Promise<ProcessExit> { return this.#exited }

  get exit (): ProcessExit | undefined { return this.#exit }

  /** How it broke the stdio protocol, when it did (it was killed for it). */
  get broken (): string | undefined { return this.#broken }

  /** Lines of stdout that were not JSON-RPC (ignored, counted). */
  get badLines (): number { return this.#badLines }

  /** The newest lines of its stderr, oldest first. */
  stderr (): string[] {
    return [...this.#stderr, ...(this.#partialErr === '' ? [] : [this.#partialErr])]
  }

  async start (): Promise<void> {
    if (this.#child !== undefined) throw new Error('a plugin process starts once')
    const { command, args, env, cwd } = this.#plan
    const child = spawn(command, [...args], { cwd, env: { ...env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true, windowsHide: true })
    this.#child = child
    child.on('exit', (code, signal) => {
      this.#exit = { code, signal }
      // what it started and left behind in its group goes with it
      this.#killGroup()
      this.#resolveExit(this.#exit)
      this.onclose?.()
    })
    child.stdin.on('error', (err) => { this.onerror?.(err) })
    child.stdout.on('data', (chunk: Buffer) => { this.#read(chunk) })
    child.stderr.on('data', (chunk: Buffer) => { this.#readStderr(chunk) })
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', (err) => {
        if (this.#exit === undefined) {
          this.#exit = { code: null, signal: null }
          this.#resolveExit(this.#exit)
        }
        reject(err)
      })
    })
  }

  async send (message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin
    if (stdin === undefined || this.#exit !== undefined || !stdin.writable) throw new Error('the plugin process is not running')
    if (!stdin.write(serializeMessage(message))) {
      await new Promise<void>((resolve) => {
        const done = (): void => { stdin.off('drain', done); stdin.off('close', done); resolve() }
        stdin.on('drain', done)
        stdin.on('close', done)
      })
    }
  }

  /** A graceful stop: stdin closed, then SIGTERM, then SIGKILL after the grace; resolves once the
   * process exited. */
  async close (): Promise<void> {
    const child = this.#child
    if (child === undefined || this.#exit !== undefined) return
    const grace = this.#opts.stopGraceMs ?? PLUGIN_STOP_GRACE_MS
    child.stdin.end()
    if (await this.#exitedWithin(grace / 2)) return
    this.#signalGroup('SIGTERM')
    if (await this.#exitedWithin(grace / 2)) return
    this.kill()
    await this.#exited
  }

  /** Kills the process and its group at once (SIGKILL). */
  kill (): void {
    if (this.#child === undefined || this.#exit !== undefined) return
    this.#killGroup()
  }

  #read (chunk: Buffer): void {
    try {
      this.#buffer.append(chunk)
    } catch (err) {
      const why = `it wrote a line of more than ${this.#opts.maxMessageBytes ?? MAX_PLUGIN_MESSAGE_BYTES} bytes to stdout`
      this.#broken = why
      this.onerror?.(err as Error)
      this.#opts.onBroken?.(why)
      this.kill()
      return
    }
    for (;;) {
      let message: JSONRPCMessage | null
      try {
        message = this.#buffer.readMessage()
      } catch (err) {
        // a line that is not JSON-RPC: skipped, as the SDK's transport does
        this.#badLines++
        this.onerror?.(err as Error)
        continue
      }
      if (message === null) return
      this.onmessage?.(message)
    }
  }

  #readStderr (chunk: Buffer): void {
    const lines = (this.#partialErr + chunk.toString('utf8')).split('\n')
    this.#partialErr = (lines.pop() ?? '').slice(0, MAX_PLUGIN_LOG_LINE)
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '').slice(0, MAX_PLUGIN_LOG_LINE)
      this.#stderr.push(line)
      if (this.#stderr.length > PLUGIN_LOG_LINES) this.#stderr.shift()
      this.#opts.onStderr?.(line)
    }
  }

  async #exitedWithin (ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<false>((resolve) => { timer = setTimeout(() => { resolve(false) }, ms) })
    try {
      return await Promise.race([this.#exited.then(() => true), late])
    } finally {
      clearTimeout(timer)
    }
  }

  #killGroup (): void {
    this.#signalGroup('SIGKILL')
  }

  #signalGroup (signal: NodeJS.Signals): void {
    const pid = this.#child?.pid
    if (pid === undefined) return
    try {
      // the plugin leads its own group (detached): a negative pid signals the whole group
      process.kill(-pid, signal)
    } catch {
      // the group is gone already
    }
  }
}
