import { Packr } from 'msgpackr'
import { NotSerializableError } from './errors.ts'

/**
 * Actor messages, events and entity state are plain data, so that they survive msgpackr (the
 * journal, the wire, a migration) unchanged: null, booleans, finite or non-finite numbers,
 * strings, Uint8Array, arrays, and objects whose prototype is Object.prototype or null.
 * `undefined` is allowed as a property value or array element (msgpackr keeps it).
 * Not allowed: functions, symbols, bigint, Date, Map, Set, class instances, cycles.
 * Nor is an own key named `__proto__` (msgpackr decodes it as `__proto_`).
 * One normalization, as in JSON: -0 comes back as 0 (msgpackr writes it as the integer 0).
 */
export function assertPlainData (value: unknown, path = 'value'): void {
  check(value, path, new Set())
}

function check (value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string': case 'number': case 'boolean': case 'undefined': return
    case 'object': break
    default: throw new NotSerializableError(path, typeof value)
  }
  if (value === null) return
  if (value instanceof Uint8Array) return
  if (seen.has(value)) throw new NotSerializableError(path, 'a cycle')
  seen.add(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) check(value[i], `${path}[${i}]`, seen)
  } else {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      throw new NotSerializableError(path, `an instance of ${(value.constructor as { name?: string } | undefined)?.name ?? 'a class'}`)
    }
    for (const key of Object.keys(value)) {
      // msgpackr decodes an own "__proto__" key as "__proto_" (a prototype-pollution guard)
      if (key === '__proto__') throw new NotSerializableError(`${path}.__proto__`, 'a key named __proto__ (it does not survive decoding)')
      check((value as Record<string, unknown>)[key], `${path}.${key}`, seen)
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw new NotSerializableError(path, 'a symbol key')
  }
  seen.delete(value)
}

/**
 * The msgpackr configuration every durable or wire encoding of plain data uses: plain maps, no
 * shared record structures (a record written today must decode on any node, any year).
 */
export function createPlainCodec (): PlainCodec {
  const packr = new Packr({ useRecords: false, mapsAsObjects: true })
  return {
    // pack() returns a slice of msgpackr's current output buffer; later packs write after it
    // (never over it), so the slice is safe to keep
    encode: (value) => packr.pack(value),
    decode: (bytes) => packr.unpack(bytes)
  }
}

export interface PlainCodec {
  encode (value: unknown): Uint8Array
  decode (bytes: Uint8Array): unknown
}
