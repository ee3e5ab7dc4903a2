import { EventEmitter } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildOpenAiServer } from '../../../node/openai/index.ts'
import type { OpenAiBackend } from '../../../node/openai/index.ts'
import type { ClientLimitsOptions } from '../../../node/limits/index.ts'
import type { GenerateResult } from '../../../runtimes/index.ts'
import { WatchedLimits } from '../../helpers/watched-limits.ts'

export const TOKEN = 'plxu_alice-token'

/** alice's token only; every answer sends one token, then waits until its client goes or
 * `finish` is called: a streamed answer stays open as long as a test wants. */
export class HeldBackend implements OpenAiBackend {
  /** 'started' as each answer starts. */
  readonly started = new EventEmitter()
  /** The models listed. */
  listed = [{ id: 'tiny', created: 1 }, { id: 'org/model', created: 2 }]
  /** What each completion was asked, in order. */
  readonly requests: Array<Parameters<OpenAiBackend['complete']>[1]> = []
  #waiting: Array<() => void> = []

  async authenticate (token: string): Promise<string | undefined> {
    return token === TOKEN ? 'alice' : undefined
  }

  async models (): Promise<Array<{ id: string, created: number }>> {
    return this.listed
  }

  async complete (_user: string, request: Parameters<OpenAiBackend['complete']>[1], onToken: (text: string) => void, signal: AbortSignal): Promise<GenerateResult> {
    this.requests.push(request)
    onToken('hi')
    this.started.emit('started')
    const cancelled = await new Promise<boolean>((resolve) => {
      signal.addEventListener('abort', () => { resolve(true) })
      this.#waiting.push(() => { resolve(false) })
    })
    return { text: 'hi', stopReason: cancelled ? 'cancelled' : 'eos', promptTokens: 1, completionTokens: 1, droppedTurns: 0, ttftMs: 0, durationMs: 0 }
  }

  /** Ends every answer in flight. */
  finish (): void {
    for (const end of this.#waiting.splice(0)) end()
  }
}

/**
 * The endpoint over a HeldBackend behind these limits (the rest off), listening on every address:
 * IPv4 clients come as 127.0.0.1, IPv6 ones as ::1. `models` and `complete` are its clients; a
 * streamed completion is left open (its body unread) until the test ends it (`aborts`).
 */
export class HeldEndpoint {
  app: FastifyInstance | undefined
  backend = new HeldBackend()
  limits!: WatchedLimits
  port = 0
  readonly aborts: AbortController[] = []

  async serve (opts: Partial<ClientLimitsOptions>): Promise<void> {
    this.limits = new WatchedLimits({ rate: 0, burst: 1, authFailures: 0, streams: 0, ...opts })
    this.backend = new HeldBackend()
    this.app = await buildOpenAiServer({ backend: this.backend, logger: false, defaults: { maxTokens: 16, maxTokensLimit: 100 }, clients: this.limits })
    await this.app.listen({ host: '::', port: 0 })
    this.port = (this.app.server.address() as AddressInfo).port
  }

  async close (): Promise<void> {
    for (const a of this.aborts.splice(0)) a.abort()
    await this.app?.close()
    this.app = undefined
  }

  async models (token: string | null, host = '127.0.0.1'): Promise<Response> {
    return await fetch(`http://${host}:${this.port}/v1/models`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } })
  }

  async complete (stream: boolean, host = '127.0.0.1'): Promise<Response> {
    const abort = new AbortController()
    this.aborts.push(abort)
    return await fetch(`http://${host}:${this.port}/v1/chat/completions`, {
      method: 'POST',
      signal: abort.signal,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hello' }], stream })
    })
  }
}

/** The error of an OpenAI error response. */
export async function errorOf (res: Response): Promise<{ message: string, type: string, code: string, param: string | null }> {
  return ((await res.json()) as { error: { message: string, type: string, code: string, param: string | null } }).error
}
