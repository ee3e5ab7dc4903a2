import { CliError } from './cli-errors.ts'
import { tlsProblem } from './client-tls.ts'
import type { ClientTls } from './client-tls.ts'

/** Every admin request gives up after this long. */
const REQUEST_TIMEOUT_MS = 15_000

/** A thin client of the admin HTTP API that turns failures into one clear line. */
export class AdminClient {
  readonly #url: string
  readonly #token: string
  readonly #tls: ClientTls | undefined
  /** With --tls-ca: undici's fetch with an agent trusting those certificates (made on first use). */
  #fetch: Promise<typeof fetch> | undefined

  /** `tls`: how `url` (https://) is reached; undefined for http://. */
  constructor (url: string, token: string, tls?: ClientTls) {
    this.#url = url
    this.#token = token
    this.#tls = tls
  }

  async request<T> (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let response: Response
    try {
      const fetch = await this.#fetcher()
      response = await fetch(`${this.#url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string, message?: string } }).cause
      const tls = tlsProblem({ code: cause?.code, message: cause?.message ?? (err as Error).message }, this.#tls, new URL(this.#url).hostname)
      if (tls !== undefined) throw new CliError(`admin endpoint at ${this.#url}: ${tls}`)
      throw new CliError(`cannot reach the admin endpoint at ${this.#url}: ${cause?.code ?? cause?.message ?? (err as Error).message}; is the node running? (--admin-addr, PLEXI_ADMIN_ADDR)`)
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined
    } catch {
      parsed = text
    }
    if (!response.ok) {
      const message = (parsed as { message?: string } | undefined)?.message ?? text
      const code = (parsed as { code?: unknown } | undefined)?.code
      const hint = response.status === 401 ? ' (check --admin-token, PLEXI_ADMIN_TOKEN or --data-dir)' : ''
      throw new CliError(`${method} ${path}: ${response.status} ${message}${hint}`, { status: response.status, code: typeof code === 'string' ? code : undefined, message })
    }
    return parsed as T
  }

  /** The global fetch, or with a CA of our own undici's (loaded only then: most commands need none
   * of it), whose agent trusts those certificates and no others. */
  #fetcher (): Promise<typeof fetch> {
    const ca = this.#tls?.ca
    if (ca === undefined) return Promise.resolve(fetch)
    this.#fetch ??= import('undici').then(({ Agent, fetch: undiciFetch }) => {
      const dispatcher = new Agent({ connect: { ca } })
      return (async (input: string, init: RequestInit) => await undiciFetch(input, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch
    })
    return this.#fetch
  }
}
