import * as actorErrors from '../../actors/errors.ts'
import * as runtimeErrors from '../../runtimes/errors.ts'
import * as inferenceErrors from '../inference/errors.ts'
import * as meshErrors from './errors.ts'
import type { WireError } from '../../protocols/p2p/actor-frames.ts'
import { LIMITS } from '../../protocols/p2p/constants.ts'

type ErrorClass = abstract new (...args: never[]) => Error

/** Our error classes by name: an error that crosses the wire comes back as its own class. */
const CLASSES = new Map<string, ErrorClass>()
for (const module of [actorErrors, runtimeErrors, inferenceErrors, meshErrors]) {
  for (const value of Object.values(module)) {
    if (typeof value === 'function' && value.prototype instanceof Error && value !== actorErrors.RemoteError) {
      CLASSES.set(value.name, value as unknown as ErrorClass)
    }
  }
}

/** An error as data: name, message and its own plain fields (e.g. retryAfterMs, target). */
export function toWireError (err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: clip(String(err), LIMITS.errorMessage) }
  const fields: Record<string, string | number | boolean> = {}
  let count = 0
  for (const [k, v] of Object.entries(err)) {
    if (k === 'name' || k === 'message' || k === 'stack' || count >= LIMITS.errorFields) continue
    if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 1024)) {
      fields[k] = v
      count++
    }
  }
  return {
    name: clip(err.name, LIMITS.errorName),
    message: clip(err.message, LIMITS.errorMessage),
    ...(count > 0 && { fields })
  }
}

/**
 * Rebuilds an error that came off the wire: one of our classes when the name is known (so
 * `instanceof` and `name` both match), otherwise an Error carrying the name. Its stack says
 * which peer it came from.
 */
export function fromWireError (wire: WireError, peer: string): Error {
  const Known = CLASSES.get(wire.name)
  const err: Error = Known === undefined ? new Error(wire.message) : Object.create(Known.prototype) as Error
  Object.defineProperty(err, 'message', { value: wire.message, writable: true, configurable: true, enumerable: false })
  Object.defineProperty(err, 'name', { value: wire.name, writable: true, configurable: true, enumerable: false })
  for (const [k, v] of Object.entries(wire.fields ?? {})) {
    if (k !== '__proto__' && k !== 'constructor') Object.defineProperty(err, k, { value: v, writable: true, configurable: true, enumerable: true })
  }
  Object.defineProperty(err, 'stack', { value: `${wire.name}: ${wire.message}\n    at peer ${peer}`, writable: true, configurable: true, enumerable: false })
  return err
}

function clip (s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`
}
