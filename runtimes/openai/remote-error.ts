import { describe } from '../../protocols/index.ts'
import { RemoteInferenceError, UnknownModelError } from '../errors.ts'
import { MAX_ERROR_BODY_BYTES } from './constants.ts'
import { responseText } from './response-text.ts'

/** The error a failed chat request becomes: 404 is the model (the base URL was checked by load());
 * anything else keeps the server's status and message, and its Retry-After for 429 and 503. */
export async function remoteError (response: Response, method: string, url: string): Promise<Error> {
  const { message } = await errorBody(response)
  const what = `${message} (${method} ${url}: ${response.status})`
  if (response.status === 404) return new UnknownModelError(what)
  return new RemoteInferenceError(what, response.status, retryAfterMs(response.headers.get('retry-after')))
}

/** The message of an error body, whichever way the server shapes it: OpenAI's `{error:{message}}`,
 * Ollama's `{error:"..."}`, FastAPI's `{detail}`, or text (an HTML page from a proxy). */
export async function errorBody (response: Response): Promise<{ message: string }> {
  let text = ''
  try {
    text = await responseText(response, MAX_ERROR_BODY_BYTES)
  } catch {
    // the body broke off: the status alone has to do
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)
    return { message: plain.length > 0 ? plain : (response.statusText.length > 0 ? response.statusText : 'no message') }
  }
  const body = parsed as { error?: unknown, message?: unknown, detail?: unknown } | null
  if (body !== null && typeof body === 'object') {
    if (body.error !== undefined && body.error !== null) return { message: errorFields(body.error).message }
    if (typeof body.message === 'string') return { message: body.message }
    if (typeof body.detail === 'string') return { message: body.detail }
  }
  return { message: text.slice(0, 300) }
}

/** The message and HTTP status of an error object (or string) as servers send them; a numeric code
 * (vLLM sends one) is the status when it is one. */
export function errorFields (error: unknown): { message: string, status: number | undefined } {
  if (typeof error === 'string') return { message: error, status: undefined }
  const e = error as { message?: unknown, code?: unknown } | null
  const message = typeof e?.message === 'string' ? e.message : JSON.stringify(error).slice(0, 300)
  const status = typeof e?.code === 'number' && e.code >= 400 && e.code <= 599 ? e.code : undefined
  return { message, status }
}

/** The message of an `event: error`: JSON in one of the usual shapes, or plain text. */
export function eventError (data: string): string {
  try {
    const parsed = JSON.parse(data) as { error?: unknown } | null
    return errorFields(parsed !== null && typeof parsed === 'object' && parsed.error !== undefined ? parsed.error : parsed).message
  } catch {
    return data.slice(0, 300)
  }
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs (header: string | null): number | undefined {
  if (header === null) return undefined
  const seconds = Number(header)
  if (header.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000)
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

/** undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a TLS error) is in `cause`. */
export function networkCause (err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause
  const c = cause as { code?: unknown, message?: unknown, errors?: Array<{ code?: unknown }> } | undefined
  if (typeof c?.code === 'string') return c.code
  const inner = c?.errors?.find((e) => typeof e.code === 'string')?.code
  if (typeof inner === 'string') return inner
  if (typeof c?.message === 'string') return c.message
  return describe(err)
}
