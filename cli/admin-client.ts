import { CliError } from './cli-errors.ts'

/** Every admin request gives up after this long. */
const REQUEST_TIMEOUT_MS = 15_000

/** A thin client of the admin HTTP API that turns failures into one clear line. */
export class AdminClient {
  readonly #url: string
  readonly #token: string

  constructor (url: string, token: string) {
    this.#url = url
    this.#token = token
  }

  async request<T> (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let response: Response
    try {
      response = await fetch(`${this.#url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string, message?: string } }).cause
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
}
