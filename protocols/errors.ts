/**
 * How failures are classified and how they travel as data. Every error class of Plexi declares
 * one canonical `kind`; gRPC, the admin API and the OpenAI endpoint each map kind → status in one
 * small table, so one failure reads the same everywhere. Errors cross worker threads and the wire
 * as `ErrorData` and are rebuilt on arrival, keeping their name, kind and plain fields.
 *
 * A leaf: it imports only limits.ts (which imports nothing), so the kernel, the runtimes (inside
 * Piscina workers) and the CLI all use it without loading anything else.
 */
import { ERROR_DATA_LIMITS } from './limits.ts'

/**
 * - invalid: the request is malformed or breaks a rule (INVALID_ARGUMENT, 400)
 * - not-found: what it names does not exist (NOT_FOUND, 404)
 * - unauthenticated: no or a bad credential (UNAUTHENTICATED, 401)
 * - denied: the credential does not allow it (PERMISSION_DENIED, 403)
 * - conflict: it clashes with what exists (ALREADY_EXISTS, 409)
 * - exhausted: a limit or a queue is full; waiting helps (RESOURCE_EXHAUSTED, 429)
 * - timeout: no answer in time (DEADLINE_EXCEEDED, 504)
 * - unavailable: the node or the member that would serve it cannot now; retry (UNAVAILABLE, 503)
 * - internal: a bug or a broken invariant; details stay in the node's log (INTERNAL, 500)
 */
export const ERROR_KINDS = ['invalid', 'not-found', 'unauthenticated', 'denied', 'conflict', 'exhausted', 'timeout', 'unavailable', 'internal'] as const
export type ErrorKind = typeof ERROR_KINDS[number]

/**
 * Kinds that say the request, not the one serving it, is at fault or must wait: an actor that
 * throws one of these is answering a request it refuses, so the kernel rejects that ask and the
 * actor goes on (it never crashes or restarts for it).
 */
const REFUSALS: ReadonlySet<string> = new Set<ErrorKind>(['invalid', 'not-found', 'unauthenticated', 'denied', 'conflict', 'exhausted'])

/** An error as data: what crosses a worker boundary or the wire. */
export interface ErrorData {
  readonly name: string
  readonly message: string
  readonly kind: ErrorKind
  /** The error's own plain fields (e.g. retryAfterMs, status, peer), bounded. */
  readonly fields?: Readonly<Record<string, string | number | boolean>>
}

export function isErrorKind (value: unknown): value is ErrorKind {
  return typeof value === 'string' && (ERROR_KINDS as readonly string[]).includes(value)
}

/** The canonical kind of any thrown value: its own `kind` when it declares a known one, else internal. */
export function kindOf (err: unknown): ErrorKind {
  const kind = (err as { kind?: unknown } | null | undefined)?.kind
  return isErrorKind(kind) ? kind : 'internal'
}

/** Whether `err` refuses a request (see REFUSALS) rather than reports a failure of the server. */
export function isRefusal (err: unknown): boolean {
  return REFUSALS.has(kindOf(err))
}

/** Any thrown value as ErrorData (fields: its own numbers, booleans and short strings). */
export function errorData (err: unknown): ErrorData {
  if (!(err instanceof Error)) return { name: 'Error', message: clip(String(err), ERROR_DATA_LIMITS.message), kind: kindOf(err) }
  const fields: Record<string, string | number | boolean> = {}
  let count = 0
  for (const [k, v] of Object.entries(err)) {
    if (k === 'name' || k === 'message' || k === 'stack' || k === 'kind' || count >= ERROR_DATA_LIMITS.fields) continue
    if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= ERROR_DATA_LIMITS.fieldString)) {
      fields[k] = v
      count++
    }
  }
  return {
    // an Error may carry any name or message (Object.assign, a peer's data): only strings go on
    name: clip(typeof err.name === 'string' ? err.name : 'Error', ERROR_DATA_LIMITS.name),
    message: clip(typeof err.message === 'string' ? err.message : String(err.message), ERROR_DATA_LIMITS.message),
    kind: kindOf(err),
    ...(count > 0 && { fields })
  }
}

/** Whether a value that came from another node is well-formed ErrorData within the limits. */
export function isErrorData (value: unknown): value is ErrorData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const d = value as Record<string, unknown>
  if (!isString(d.name, ERROR_DATA_LIMITS.name) || !isString(d.message, ERROR_DATA_LIMITS.message) || !isErrorKind(d.kind)) return false
  if (d.fields === undefined) return true
  if (typeof d.fields !== 'object' || d.fields === null || Array.isArray(d.fields)) return false
  const entries = Object.entries(d.fields)
  return entries.length <= ERROR_DATA_LIMITS.fields &&
    entries.every(([, v]) => typeof v === 'number' || typeof v === 'boolean' || isString(v, ERROR_DATA_LIMITS.fieldString))
}

type ErrorClass = abstract new (...args: never[]) => Error

/** Error classes by name, for rebuilding errors that arrive as data with their own class. */
export type ErrorClasses = ReadonlyMap<string, ErrorClass>

/** Collects the Error subclasses exported by error modules (`import * as x from './errors.ts'`). */
export function errorClasses (...modules: ReadonlyArray<Record<string, unknown>>): ErrorClasses {
  const classes = new Map<string, ErrorClass>()
  for (const module of modules) {
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && value.prototype instanceof Error) classes.set(value.name, value as unknown as ErrorClass)
    }
  }
  return classes
}

/**
 * Rebuilds an error that arrived as data: an instance of its own class when `classes` knows the
 * name (so `instanceof` and `name` match), otherwise an Error carrying the name; either way with
 * its kind and fields. `origin` (a peer, a worker) goes into the stack, which says where it came from.
 */
export function rebuildError (data: ErrorData, classes: ErrorClasses = new Map(), origin?: string): Error {
  const Known = classes.get(data.name)
  const err: Error = Known === undefined ? new Error(data.message) : Object.create(Known.prototype) as Error
  define(err, 'message', data.message, false)
  define(err, 'name', data.name, false)
  define(err, 'kind', data.kind, true)
  for (const [k, v] of Object.entries(data.fields ?? {})) {
    if (k !== '__proto__' && k !== 'constructor' && k !== 'name' && k !== 'message' && k !== 'kind') define(err, k, v, true)
  }
  define(err, 'stack', `${data.name}: ${data.message}${origin === undefined ? '' : `\n    at ${origin}`}`, false)
  return err
}

/** A short `Name: message` for any thrown value, for error messages and logs. */
export function describe (err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return String(err)
}

/**
 * `s`, cut to at most `max` UTF-16 units with an ellipsis: messages never echo a client's input at
 * length. The cut falls between code points, never between the two halves of a surrogate pair (an
 * emoji, any character beyond the BMP): a lone half is not Unicode, and grpc-js's encodeURI of a
 * status message throws on one, leaving the call unanswered (found by fuzzing). `max` counts units,
 * not code points, because the limits it serves are checked as `length` (isErrorData).
 */
export function clip (s: string, max: number): string {
  if (s.length <= max) return s
  let end = Math.max(0, max - 1)
  if (end > 0 && isHighSurrogate(s.charCodeAt(end - 1))) end--
  return `${s.slice(0, end)}…`
}

/**
 * `s`, cut to at most `maxBytes` bytes of UTF-8 with an ellipsis, between code points: for limits
 * in bytes (a gRPC status message, a header). A lone surrogate counts as the 3 bytes of the
 * U+FFFD it is encoded as.
 */
export function clipBytes (s: string, maxBytes: number): string {
  // 3 bytes for the ellipsis; `end` is the last cut at which it still fits
  const room = maxBytes - 3
  let bytes = 0
  let end = 0
  for (let i = 0; i < s.length;) {
    const unit = s.charCodeAt(i)
    const pair = isHighSurrogate(unit) && isLowSurrogate(s.charCodeAt(i + 1))
    bytes += pair ? 4 : unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3
    i += pair ? 2 : 1
    if (bytes <= room) end = i
    if (bytes > maxBytes) return maxBytes < 3 ? '' : `${s.slice(0, end)}…`
  }
  return s
}

function isHighSurrogate (unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff
}

function isLowSurrogate (unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

/**
 * A value that arrived from anywhere (a peer's msgpack, a client's JSON), as JSON cut to `max`
 * characters, for an error message. Never throws: JSON.stringify throws on a bigint (msgpack's
 * 64-bit integers decode as one) and String() on an object whose `toString` is not a function (a
 * map with that key), and a refusal that throws a TypeError instead would crash the actor refusing.
 */
export function shown (value: unknown, max: number): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v)
  } catch {
    text = undefined
  }
  return clip(text ?? (typeof value === 'object' ? 'an object' : typeof value), max)
}

function define (target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable })
}

function isString (v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length <= max
}

/** A message (or task, or value) of a type its receiver does not know: the sender is at fault. */
export class UnexpectedMessageError extends Error {
  override readonly name = 'UnexpectedMessageError'
  readonly kind = 'invalid'
}

/**
 * Exhaustiveness check for `switch (msg.type)`: a type error when a case is missing, and a clear
 * refusal (UnexpectedMessageError, kind invalid) when a value the types rule out arrives anyway,
 * e.g. from another node.
 */
export function assertNever (value: never, what = 'message'): never {
  const type = (value as { type?: unknown } | null)?.type
  throw new UnexpectedMessageError(`unexpected ${what}${type === undefined ? '' : ` of type ${shown(type, 64)}`}`)
}

/** A request as sent breaks a rule of its protocol; the message names the field. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError'
  readonly kind = 'invalid'
}

/** No credential, or one that is not (or no longer) valid. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError'
  readonly kind = 'unauthenticated'
}

/** The node takes no new requests now: it is starting or shutting down. */
export class NotServingError extends Error {
  override readonly name = 'NotServingError'
  readonly kind = 'unavailable'
}

/** A refusal that says when trying again may work: every API passes `retryAfterMs` on (gRPC's
 * retry-after-ms and RetryInfo, HTTP's Retry-After). */
export abstract class RetryLaterError extends Error {
  readonly retryAfterMs: number
  constructor (message: string, retryAfterMs: number) {
    super(message)
    this.retryAfterMs = retryAfterMs
  }
}

/** A user, a client or an IP went over a rate limit; it may try again after `retryAfterMs`. */
export class RateLimitedError extends RetryLaterError {
  override readonly name = 'RateLimitedError'
  readonly kind = 'exhausted'
}
