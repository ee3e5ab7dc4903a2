import { CliError } from './cli-errors.ts'
import { tlsProblem } from './client-tls.ts'
import { ADMIN_MAX_PAGES as MAX_PAGES, ADMIN_REQUEST_TIMEOUT_MS as REQUEST_TIMEOUT_MS, ADMIN_UPLOAD_TIMEOUT_MS as UPLOAD_TIMEOUT_MS } from './constants.ts'
import type { ClientTls } from './client-tls.ts'


/** Waits before each try again of a request safe to repeat whose outcome is unknown. */
export const IDEMPOTENT_RETRY_DELAYS_MS: readonly number[] = [250, 1_000, 2_000]

/** Connection failures that mean the request never left this machine (nothing to retry for). */
const NEVER_SENT: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL'])

/** Answers that say the node did not finish the request in time or could not do it now: it may
 * have been done (a gateway timeout after the write was sent), or be done once retried. */
const UNKNOWN_STATUSES: ReadonlySet<number> = new Set([502, 503, 504])

/** A thin client of the admin HTTP API that turns failures into one clear line. */
export class AdminClient {
  readonly #url: string
  readonly #token: string
  readonly #tls: ClientTls | undefined
  /** With --tls-ca: undici's fetch with an agent trusting those certificates (made on first use). */
  #fetch: Promise<typeof fetch> | undefined
  /** Failures to reach the endpoint after the request may have been sent (a timeout, a reset). */
  readonly #unknown = new WeakSet<CliError>()

  /** `tls`: how `url` (https://) is reached; undefined for http://. */
  constructor (url: string, token: string, tls?: ClientTls) {
    this.#url = url
    this.#token = token
    this.#tls = tls
  }

  async request<T> (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return await this.#send<T>(method, path, body === undefined ? undefined : { type: 'application/json', bytes: JSON.stringify(body) }, REQUEST_TIMEOUT_MS)
  }

  /** POSTs bytes of `contentType` (a plugin package), answered as `request` is. */
  async upload<T> (path: string, bytes: Uint8Array, contentType: string): Promise<T> {
    return await this.#send<T>('POST', path, { type: contentType, bytes }, UPLOAD_TIMEOUT_MS)
  }

  /** GETs a download (an export) and yields its body as it arrives; `records` is what the node
   * says it holds (its x-plexi-export-records header; 0 when unsaid). Refusals throw as `request`'s. */
  async * download (path: string): AsyncGenerator<{ readonly data: Uint8Array, readonly records: number }> {
    let response: Response
    try {
      const fetch = await this.#fetcher()
      response = await fetch(`${this.#url}${path}`, { headers: { authorization: `Bearer ${this.#token}` } })
    } catch (err) {
      const cause = (err as { cause?: { code?: string, message?: string } }).cause
      throw new CliError(`cannot reach the admin endpoint at ${this.#url}: ${cause?.code ?? cause?.message ?? (err as Error).message}; is the node running? (--admin-addr, PLEXI_ADMIN_ADDR)`)
    }
    if (!response.ok || response.body === null) {
      const text = await response.text()
      const message = messageOf(text)
      throw new CliError(`GET ${path}: ${response.status} ${message}`, { status: response.status, code: undefined, message })
    }
    let records = Number(response.headers.get('x-plexi-export-records') ?? 0) || 0
    for await (const data of response.body as unknown as AsyncIterable<Uint8Array>) {
      yield { data, records }
      records = 0
    }
  }

  /** Every row of a paged list (GET `path`), following its pages' `Link: <...>; rel="next"` headers
   * (the actors, the partitions: a page of 100 rows by default); `unreachable` joins what each page
   * named in its x-plexi-unreachable header; `headers` are the first page's. */
  async requestPages<T> (path: string): Promise<{ rows: T[], unreachable: string[], headers: Headers | undefined }> {
    const rows: T[] = []
    let first: Headers | undefined
    const unreachable = new Set<string>()
    let next: string | undefined = path
    // bounded: a page advances by key, and a list of millions of rows is no admin listing
    for (let pages = 0; next !== undefined && pages < MAX_PAGES; pages++) {
      const { body, headers }: { body: T[], headers: Headers } = await this.#exchange<T[]>('GET', next, undefined, REQUEST_TIMEOUT_MS)
      rows.push(...body)
      first ??= headers
      for (const peer of (headers.get('x-plexi-unreachable') ?? '').split(',')) if (peer !== '') unreachable.add(peer)
      next = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1]
    }
    return { rows, unreachable: [...unreachable], headers: first }
  }

  async #send<T> (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body: { type: string, bytes: string | Uint8Array } | undefined, timeoutMs: number): Promise<T> {
    return (await this.#exchange<T>(method, path, body, timeoutMs)).body
  }

  async #exchange<T> (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body: { type: string, bytes: string | Uint8Array } | undefined, timeoutMs: number): Promise<{ body: T, headers: Headers }> {
    let response: Response
    try {
      const fetch = await this.#fetcher()
      response = await fetch(`${this.#url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined && { 'content-type': body.type }) },
        ...(body !== undefined && { body: body.bytes }),
        signal: AbortSignal.timeout(timeoutMs)
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string, message?: string } }).cause
      const tls = tlsProblem({ code: cause?.code, message: cause?.message ?? (err as Error).message }, this.#tls, new URL(this.#url).hostname)
      if (tls !== undefined) throw new CliError(`admin endpoint at ${this.#url}: ${tls}`)
      const failed = new CliError(`cannot reach the admin endpoint at ${this.#url}: ${cause?.code ?? cause?.message ?? (err as Error).message}; is the node running? (--admin-addr, PLEXI_ADMIN_ADDR)`)
      if (!NEVER_SENT.has(cause?.code ?? '')) this.#unknown.add(failed)
      throw failed
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
    return { body: parsed as T, headers: response.headers }
  }

  /**
   * A request that is safe to repeat (it carries the caller's id of it, as POST /users with a
   * clientId does), tried again after each delay while its outcome is unknown: no answer in time,
   * a connection lost after it was sent, or 502/503/504. `onRetry` hears each such failure before
   * its retry. The last failure is thrown, with `unknownOutcome` telling whether it may have been done.
   */
  async requestIdempotent<T> (method: 'POST' | 'PUT' | 'DELETE', path: string, body: unknown, opts: { readonly delaysMs?: readonly number[], readonly onRetry?: (err: CliError, retryInMs: number) => void } = {}): Promise<T> {
    const delays = opts.delaysMs ?? IDEMPOTENT_RETRY_DELAYS_MS
    for (let tries = 0; ; tries++) {
      try {
        return await this.request<T>(method, path, body)
      } catch (err) {
        const delay = delays[tries]
        if (!(err instanceof CliError) || !this.unknownOutcome(err) || delay === undefined) throw err
        opts.onRetry?.(err, delay)
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  }

  /** Whether `err`, from this client, leaves the request's outcome unknown (it may have been done). */
  unknownOutcome (err: CliError): boolean {
    return this.#unknown.has(err) || (err.answer !== undefined && UNKNOWN_STATUSES.has(err.answer.status))
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

/** An error answer's `message` (the admin API's error shape), or the answer as it is. */
function messageOf (text: string): string {
  try {
    return (JSON.parse(text) as { message?: string } | null)?.message ?? text
  } catch {
    return text
  }
}
