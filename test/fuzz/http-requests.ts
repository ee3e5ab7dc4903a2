import fc from 'fast-check'
import { MAX_JSON_DEPTH } from '../../node/limits/index.ts'
import { clippedText } from './clipped-text.ts'

/** One HTTP request as Fastify's inject takes it. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS'
  readonly url: string
  readonly headers: Record<string, string>
  readonly payload?: string
}

/** A path segment: a plausible name, or traversal, percent-encoding, control bytes, length. */
function segment (): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('alice', 'general', 'room', 'tiny', 'drain-3-k7f2', '12D3KooWTest', '..', '.', '%2e%2e', '%2F', '%00', '%', '%zz',
      '..%2f..%2fetc%2fpasswd', '%C0%AE', 'x'.repeat(300), '%E2%80%AE', '?', '#', ';', '*', '__proto__', 'constructor'),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
    clippedText().map(encodeURIComponent),
    fc.stringMatching(/^[a-z0-9-]{1,12}$/))
}

/**
 * JSON text nested around MAX_JSON_DEPTH and far past it (arrays, objects, both), bare or as the
 * value of a field a route reads: fuzzing found a 5,000-deep body answered 500 (a stack overflow in
 * the audit hook), which fast-check's jsonValue, a few levels deep, never makes.
 */
export function deepJson (fields: readonly string[]): fc.Arbitrary<string> {
  const depth = fc.oneof(fc.integer({ min: MAX_JSON_DEPTH - 2, max: MAX_JSON_DEPTH + 2 }), fc.constantFrom(200, 5_000))
  const nested = fc.tuple(depth, fc.constantFrom('array', 'object', 'both')).map(([n, shape]) => {
    if (shape === 'array') return `${'['.repeat(n)}1${']'.repeat(n)}`
    if (shape === 'object') return `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`
    return `${'[{"a":'.repeat(Math.ceil(n / 2))}1${'}]'.repeat(Math.ceil(n / 2))}`
  })
  return fc.tuple(nested, fc.option(fc.constantFrom(...fields))).map(([inner, field]) => field === null ? inner : `{${JSON.stringify(field)}:${inner}}`)
}

/**
 * Requests near the routes given (each a `METHOD /path/:param` template): a route's method or
 * another, its params filled with anything, sometimes a path of its own; a query string; a good,
 * bad or missing bearer token; a JSON body near `bodyFields` (its text any Unicode, and text a clip
 * would cut inside a character), any JSON, JSON nested too deep, or bytes that are not JSON, under
 * any content type.
 */
export function httpRequest (routes: readonly string[], token: string, bodyFields: readonly string[]): fc.Arbitrary<HttpRequest> {
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const
  const path = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...routes), fc.array(segment(), { minLength: 4, maxLength: 4 })).map(([route, values]) => {
      let i = 0
      const [method, template] = route.split(' ') as [HttpRequest['method'], string]
      return { method, path: template.replace(/:[a-zA-Z]+|\*/g, () => values[i++ % values.length] as string) }
    }) },
    { weight: 1, arbitrary: fc.array(segment(), { maxLength: 5 }).map((parts) => ({ method: 'GET' as const, path: `/${parts.join('/')}` })) })
  const query = fc.oneof(fc.constant(''), fc.dictionary(fc.constantFrom('after', 'limit', 'type', 'verbose', 'token', 'id'), fc.oneof(segment(), fc.constantFrom('0', '-1', '1e9', 'NaN'))).map((q) => `?${new URLSearchParams(q).toString()}`))
  const auth = fc.oneof({ weight: 8, arbitrary: fc.constant(`Bearer ${token}`) }, { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer wrong-token-0123456789', `Bearer ${token}x`, `bearer ${token}`, 'Basic YTpi', 'Bearer ' + 'x'.repeat(5000)) })
  const json = fc.oneof(
    fc.dictionary(fc.constantFrom(...bodyFields), fc.oneof(segment(), fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 12 }), clippedText({ lone: true })), { maxKeys: 4 }),
    fc.jsonValue({ maxDepth: 3 }))
  const body = fc.oneof(
    { weight: 3, arbitrary: json.map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })) },
    { weight: 1, arbitrary: deepJson(bodyFields).map((payload) => ({ type: 'application/json', payload })) },
    { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''), payload: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '{"a":', '[1,2', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}')) }) },
    { weight: 2, arbitrary: fc.constant(undefined) })
  return fc.record({ target: path, method: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...methods) }), query, auth, body }).map(({ target, method, query, auth, body }) => ({
    method: method ?? target.method,
    url: `${target.path}${query}`,
    headers: { ...(auth !== '' && { authorization: auth }), ...(body !== undefined && body.type !== '' && { 'content-type': body.type }) },
    ...(body !== undefined && { payload: body.payload })
  }))
}
