import type { FastifyRequest } from 'fastify'
import { MAX_JSON_DEPTH } from './constants.ts'
import { BodyTooDeepError } from './errors.ts'


/**
 * The deepest nesting of arrays and objects in JSON text, counted in one pass without parsing it
 * (brackets inside strings do not count), and without recursion: it cannot overflow a stack.
 * Counting stops past `stopAt`. Text that is not JSON gets a count too; its parser refuses it.
 */
export function jsonDepth (text: string, stopAt = Number.POSITIVE_INFINITY): number {
  let depth = 0
  let deepest = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      // a string: to its closing quote, past escaped characters
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i)
        if (s === 0x5c) i++
        else if (s === 0x22) break
      }
    } else if (c === 0x5b || c === 0x7b) {
      depth++
      if (depth > deepest) {
        deepest = depth
        if (deepest > stopAt) return deepest
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return deepest
}

/** A Fastify content-type parser of JSON text (`parseAs: 'string'`). */
export type JsonBodyParser = (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void

/**
 * `parse`, but a body nested deeper than `limit` is refused with BodyTooDeepError (kind invalid:
 * 400) before it is parsed: no hook, validator or handler ever holds one. The one guard of the
 * admin and the OpenAI endpoints.
 */
export function depthLimited (parse: JsonBodyParser, limit = MAX_JSON_DEPTH): JsonBodyParser {
  return (request, body, done) => {
    if (jsonDepth(body, limit) > limit) {
      done(new BodyTooDeepError(`the body nests arrays and objects deeper than ${limit} levels; no request needs more`))
      return
    }
    parse(request, body, done)
  }
}
