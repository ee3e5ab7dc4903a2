// The admin API client: every request to /api/v1 with the bearer token, JSON in and out, errors as
// ApiError. A 401 anywhere means the token was refused: onUnauthorized signs the user out.
import { ApiError, errorOf, networkError } from './api-error.js'

const PREFIX = '/api/v1'
/** A request that takes longer than this is abandoned (a model load on a slow disk is the longest). */
const REQUEST_TIMEOUT_MS = 120_000
/** Pages of a paged list read at most (a million rows at 100 a page): the loop ends whatever the links say. */
const MAX_PAGES = 10_000

export function createApiClient ({ token, onUnauthorized }) {
  const headers = (body, type) => ({
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    ...(body !== undefined && { 'content-type': type ?? 'application/json' })
  })

  // `raw`: bytes sent as they are (a plugin package), with their content `type`
  async function send (method, path, { body, raw, type, signal } = {}) {
    let res
    try {
      res = await fetch(PREFIX + path, {
        method,
        headers: raw === undefined ? headers(body) : headers(raw, type),
        body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        signal: signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer'
      })
    } catch (err) {
      if (err?.name === 'AbortError') throw err
      if (err?.name === 'TimeoutError') throw new ApiError({ statusCode: 0, code: 'TIMEOUT', error: 'Timeout', message: `no answer to ${method} ${path} within ${REQUEST_TIMEOUT_MS / 1000} s` })
      throw networkError(err)
    }
    if (res.status === 401) {
      const err = await errorOf(res)
      onUnauthorized(err)
      throw err
    }
    if (!res.ok) throw await errorOf(res)
    return res
  }

  async function json (method, path, body, raw, type) {
    const res = await send(method, path, { body, raw, type })
    const text = await res.text()
    return text === '' ? undefined : JSON.parse(text)
  }

  return {
    get: (path) => json('GET', path),
    /** A GET's body and the members it names as not answering (the x-plexi-unreachable header);
     * a paged list (a `Link: <...>; rel="next"` header: the actors, the partitions) is read page
     * after page, its rows joined in one body. */
    getListing: async (path) => {
      let body
      const unreachable = new Set()
      let next = path
      for (let pages = 0; next !== undefined && pages < MAX_PAGES; pages++) {
        const res = await send('GET', next)
        for (const peer of (res.headers.get('x-plexi-unreachable') ?? '').split(',')) if (peer !== '') unreachable.add(peer)
        const page = await res.json()
        body = body === undefined ? page : [...body, ...page]
        // the link is the API's own path (/api/v1/...): send() adds the prefix again
        next = /<\/api\/v1([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1]
      }
      return { body, unreachable: [...unreachable] }
    },
    post: (path, body) => json('POST', path, body ?? {}),
    put: (path, body) => json('PUT', path, body),
    del: (path) => json('DELETE', path),
    /** POSTs bytes (a File, a Blob) as they are, with their content type; answers the JSON. */
    upload: (path, bytes, type) => json('POST', path, undefined, bytes, type),
    /** A download (an export): its body as a Blob and the file name the node gives it. Read whole:
     * the browser saves it once it has come (no request timeout: a large export takes a while). */
    download: async (path) => {
      const res = await send('GET', path, { signal: new AbortController().signal })
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'export'
      return { blob: await res.blob(), name }
    },
    /** The answer to a GET, unread, for streams (text/event-stream); `signal` ends it. */
    open: (path, signal) => send('GET', path, { signal })
  }
}

/** A path segment, percent-encoded (entity keys may hold characters a URL keeps for itself). */
export const seg = (value) => encodeURIComponent(String(value))
