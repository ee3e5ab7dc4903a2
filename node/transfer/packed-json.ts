import { isUtf8 } from 'node:buffer'

/**
 * A room record's export JSON made straight from its stored bytes (the msgpack of `{ e, v }` the
 * replica keeps) into `out` at `at`, without decoding it into objects and strings: the UTF-8 of
 * what `roomRecordJson(seq, event, redacted)` makes of the common record, a post whose fields are
 * plain. Allocates nothing for such a record (an exporting node's time went mostly to the decoded
 * objects and their collection). Returns the offset after what it wrote; undefined for anything
 * it does not make byte for byte as roomRecordJson would (another event, a field of another type,
 * a 64-bit integer, a text that is not well-formed UTF-8, a map key JSON.stringify would reorder):
 * the caller takes that record the slow way; -1 when `out` had too little room (try again with more).
 * Either way what it wrote past `at` is garbage.
 */
export function packedRoomLine (seq: number, payload: Uint8Array, redacted: boolean, out: Uint8Array, at: number): number | undefined {
  if (!Number.isSafeInteger(seq)) return undefined
  if (at >= out.length) return -1
  b = payload
  p = 0
  o = out
  w = at
  full = false
  try {
    return line(seq, redacted) ? w : full ? -1 : undefined
  } finally {
    // (no reference to the caller's buffers is kept)
    b = EMPTY
    o = EMPTY
  }
}

const EMPTY = new Uint8Array(0)
/** The bytes read, where in them, the bytes written, where in them, and whether they ran out. */
let b: Uint8Array = EMPTY
let p = 0
let o: Uint8Array = EMPTY
let w = 0
let full = false

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
const K_TYPE = ascii('type'); const K_USER = ascii('user'); const K_TEXT = ascii('text'); const K_TS = ascii('ts')
const K_CLIENT_ID = ascii('clientId'); const K_IMPORTED_FROM = ascii('importedFrom'); const K_REDACTED = ascii('redacted')
const K_PROTO = ascii('__proto__')
const MESSAGE_POSTED = ascii('message-posted')
const S_SEQ = ascii('{"seq":'); const S_USER = ascii(',"kind":"message","user":'); const S_TS = ascii(',"ts":')
const S_REDACTED = ascii(',"redacted":true'); const S_TEXT = ascii(',"text":'); const S_CLIENT_ID = ascii(',"clientId":')
const S_IMPORTED_FROM = ascii(',"importedFrom":'); const S_NULL = ascii('null'); const S_TRUE = ascii('true'); const S_FALSE = ascii('false')
/** JSON.stringify's escape of each control character (lowercase hex, as V8 writes it). */
const CONTROL: readonly Uint8Array[] = Array.from({ length: 32 }, (_, c) => ascii(
  c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : c === 0x08 ? '\\b' : c === 0x0c ? '\\f' : `\\u00${c.toString(16).padStart(2, '0')}`))
const S_QUOTE = ascii('\\"'); const S_BACKSLASH = ascii('\\\\')
/** Nesting the generic value path follows (an importedFrom is one level deep). */
const MAX_DEPTH = 8
/** A float64 read big-endian through these. */
const F64 = new Float64Array(1)
const F64_BYTES = new Uint8Array(F64.buffer)
const F32 = new Float32Array(1)
const F32_BYTES = new Uint8Array(F32.buffer)

function line (seq: number, redacted: boolean): boolean {
  // { e: epoch, v: event[, r: rev][, q: revEpoch] }
  const n = mapLength()
  if (n < 0) return false
  let event = -1
  for (let i = 0; i < n; i++) {
    if (b[p] !== 0xa1) return false
    const k = b[p + 1]
    p += 2
    if (k === 0x76) event = p
    else if (k !== 0x65 && k !== 0x72 && k !== 0x71) return false
    // (e, r, q are numbers, or the record is damaged: the slow way says so)
    else if (!isNumberAt(p)) return false
    if (!skip()) return false
  }
  if (event < 0 || p !== b.length) return false
  p = event
  const fields = mapLength()
  if (fields < 0) return false
  let user = -1; let text = -1; let ts = -1; let clientId = -1; let importedFrom = -1
  let gone = redacted; let posted = false
  for (let i = 0; i < fields; i++) {
    const key = p
    const len = strLength()
    if (len < 0) return false
    p += len
    const value = p
    if (keyIs(key, len, K_TYPE)) posted = isString(MESSAGE_POSTED)
    else if (keyIs(key, len, K_USER)) user = value
    else if (keyIs(key, len, K_TEXT)) text = value
    else if (keyIs(key, len, K_TS)) ts = value
    else if (keyIs(key, len, K_CLIENT_ID)) clientId = value
    else if (keyIs(key, len, K_IMPORTED_FROM)) importedFrom = value
    else if (keyIs(key, len, K_REDACTED)) gone = true
    else if (keyIs(key, len, K_PROTO)) return false
    if (!skip()) return false
  }
  if (!posted || user < 0 || text < 0 || ts < 0 || !isStringAt(user) || !isStringAt(text)) return false
  put(S_SEQ); int(seq); put(S_USER)
  p = user
  if (!string()) return false
  put(S_TS)
  p = ts
  if (!number()) return false
  if (gone) put(S_REDACTED)
  else {
    put(S_TEXT)
    p = text
    if (!string()) return false
  }
  if (clientId >= 0) {
    put(S_CLIENT_ID)
    p = clientId
    if (!value(0)) return false
  }
  if (importedFrom >= 0) {
    put(S_IMPORTED_FROM)
    p = importedFrom
    if (!value(0)) return false
  }
  byte(0x7d)
  return !full
}

function put (s: Uint8Array): void {
  if (w + s.length > o.length) { full = true; return }
  o.set(s, w)
  w += s.length
}

function byte (c: number): void {
  if (w >= o.length) { full = true; return }
  o[w++] = c
}

/** A safe integer's digits (two int32 halves of eight digits: no float division a digit). */
function int (n: number): void {
  if (n < 0) { byte(0x2d); n = -n }
  if (n < 1e8) { digits(n | 0, 0); return }
  const hi = Math.floor(n / 1e8)
  digits(hi | 0, 0)
  digits((n - hi * 1e8) | 0, 8)
}

/** A non-negative int32's digits, at least `min` (zeros before). */
function digits (n: number, min: number): void {
  let count = 1
  for (let x = n; x >= 10; x = (x / 10) | 0) count++
  if (count < min) count = min
  if (w + count > o.length) { full = true; return }
  for (let i = w + count - 1; i >= w; i--) {
    o[i] = 0x30 + (n % 10)
    n = (n / 10) | 0
  }
  w += count
}

function u16 (at: number): number { return ((b[at] as number) << 8) | (b[at + 1] as number) }
function u32 (at: number): number { return (((b[at] as number) << 24) >>> 0) + (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) }

function mapLength (): number {
  const t = b[p]
  if (t === undefined) return -1
  if (t >= 0x80 && t <= 0x8f) { p++; return t & 0x0f }
  if (t === 0xde && p + 3 <= b.length) { const n = u16(p + 1); p += 3; return n }
  return -1
}

function isNumberAt (at: number): boolean {
  const t = b[at]
  return t !== undefined && (t <= 0x7f || t >= 0xe0 || (t >= 0xca && t <= 0xd3))
}

function isStringAt (at: number): boolean {
  const t = b[at]
  return t !== undefined && ((t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb)
}

/** The length of the string at p, p moved to its bytes; -1 (p unmoved) when none is there. */
function strLength (): number {
  const t = b[p]
  if (t === undefined) return -1
  let len: number; let head: number
  if (t >= 0xa0 && t <= 0xbf) { len = t & 0x1f; head = 1 } else if (t === 0xd9 && p + 2 <= b.length) { len = b[p + 1] as number; head = 2 } else if (t === 0xda && p + 3 <= b.length) { len = u16(p + 1); head = 3 } else if (t === 0xdb && p + 5 <= b.length) { len = u32(p + 1); head = 5 } else return -1
  if (p + head + len > b.length) return -1
  p += head
  return len
}

function keyIs (at: number, len: number, key: Uint8Array): boolean {
  if (len !== key.length) return false
  const start = at + (b[at] as number >= 0xa0 && b[at] as number <= 0xbf ? 1 : b[at] === 0xd9 ? 2 : b[at] === 0xda ? 3 : 5)
  for (let i = 0; i < len; i++) if (b[start + i] !== key[i]) return false
  return true
}

/** Whether the string at p is `s` (p unmoved). */
function isString (s: Uint8Array): boolean {
  const start = p
  const len = strLength()
  let same = len === s.length
  for (let i = 0; same && i < len; i++) same = b[p + i] === s[i]
  p = start
  return same
}

/** The string at p as JSON.stringify writes it, in UTF-8; false for one that is not well-formed. */
function string (): boolean {
  const len = strLength()
  if (len < 0) return false
  const start = p
  const end = p + len
  byte(0x22)
  let wide = false
  let run = start
  for (let i = start; i < end; i++) {
    const c = b[i] as number
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      if (c >= 0x80) wide = true
      continue
    }
    copy(run, i)
    put(c === 0x22 ? S_QUOTE : c === 0x5c ? S_BACKSLASH : CONTROL[c] as Uint8Array)
    run = i + 1
  }
  copy(run, end)
  byte(0x22)
  p = end
  // a lone surrogate (msgpack's encoder writes one as three bytes; JSON.stringify escapes it):
  // the slow way
  return !full && (!wide || isUtf8(b.subarray(start, end)))
}

function copy (from: number, to: number): void {
  const n = to - from
  if (n <= 0) return
  if (w + n > o.length) { full = true; return }
  if (n < 24) for (let i = 0; i < n; i++) o[w + i] = b[from + i] as number
  else o.set(b.subarray(from, to), w)
  w += n
}

/** The number at p as JSON (what String(n) gives: digits for an integer); false for a 64-bit
 * integer (the slow path decides what it decodes to) or a number that is not finite. */
function number (): boolean {
  const t = b[p]
  if (t === undefined) return false
  if (t <= 0x7f) { p++; int(t); return true }
  if (t >= 0xe0) { p++; int(t - 0x100); return true }
  let n: number
  if (t === 0xcc && p + 2 <= b.length) { n = b[p + 1] as number; p += 2 } else if (t === 0xcd && p + 3 <= b.length) { n = u16(p + 1); p += 3 } else if (t === 0xce && p + 5 <= b.length) { n = u32(p + 1); p += 5 } else if (t === 0xd0 && p + 2 <= b.length) { n = ((b[p + 1] as number) << 24) >> 24; p += 2 } else if (t === 0xd1 && p + 3 <= b.length) { n = (u16(p + 1) << 16) >> 16; p += 3 } else if (t === 0xd2 && p + 5 <= b.length) { n = u32(p + 1) | 0; p += 5 } else if (t === 0xca && p + 5 <= b.length) {
    for (let i = 0; i < 4; i++) F32_BYTES[3 - i] = b[p + 1 + i] as number
    n = F32[0] as number; p += 5
  } else if (t === 0xcb && p + 9 <= b.length) {
    for (let i = 0; i < 8; i++) F64_BYTES[7 - i] = b[p + 1 + i] as number
    n = F64[0] as number; p += 9
  } else return false
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) int(n)
  else if (Number.isFinite(n)) for (const c of String(n)) byte(c.charCodeAt(0))
  else return false
  return true
}

/** Any plain value at p as JSON: strings, numbers, true/false/null, maps of string keys and
 * arrays of these; false for anything else (binary, extensions, 64-bit integers). */
function value (depth: number): boolean {
  const t = b[p]
  if (t === undefined || depth > MAX_DEPTH) return false
  if ((t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb) return string()
  if (t === 0xc0) { p++; put(S_NULL); return true }
  if (t === 0xc2) { p++; put(S_FALSE); return true }
  if (t === 0xc3) { p++; put(S_TRUE); return true }
  if ((t >= 0x80 && t <= 0x8f) || t === 0xde) {
    const n = mapLength()
    byte(0x7b)
    for (let i = 0; i < n; i++) {
      // keys as JSON.stringify orders them: one that looks like an array index would come first,
      // and `__proto__` is no own key: such a map goes the slow way
      const key = p
      const len = strLength()
      if (len < 0 || (len > 0 && (b[p] as number) >= 0x30 && (b[p] as number) <= 0x39) || keyIs(key, len, K_PROTO)) return false
      p = key
      if (i > 0) byte(0x2c)
      if (!string()) return false
      byte(0x3a)
      if (!value(depth + 1)) return false
    }
    byte(0x7d)
    return !full
  }
  if ((t >= 0x90 && t <= 0x9f) || t === 0xdc) {
    let n: number
    if (t === 0xdc) { if (p + 3 > b.length) return false; n = u16(p + 1); p += 3 } else { n = t & 0x0f; p++ }
    byte(0x5b)
    for (let i = 0; i < n; i++) {
      if (i > 0) byte(0x2c)
      if (!value(depth + 1)) return false
    }
    byte(0x5d)
    return !full
  }
  return number()
}

/** Moves past the value at p; false for one it does not know. */
function skip (): boolean {
  const t = b[p]
  if (t === undefined) return false
  if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) { p++; return true }
  if ((t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb) {
    const len = strLength()
    if (len < 0) return false
    p += len
    return true
  }
  const fixed = t === 0xcc || t === 0xd0 ? 2 : t === 0xcd || t === 0xd1 ? 3 : t === 0xce || t === 0xd2 || t === 0xca ? 5 : t === 0xcb || t === 0xcf || t === 0xd3 ? 9 : 0
  if (fixed > 0) { p += fixed; return p <= b.length }
  if ((t >= 0x80 && t <= 0x8f) || t === 0xde) {
    const n = mapLength()
    if (n < 0) return false
    for (let i = 0; i < 2 * n; i++) if (!skip()) return false
    return true
  }
  if ((t >= 0x90 && t <= 0x9f) || t === 0xdc) {
    let n: number
    if (t === 0xdc) { if (p + 3 > b.length) return false; n = u16(p + 1); p += 3 } else { n = t & 0x0f; p++ }
    for (let i = 0; i < n; i++) if (!skip()) return false
    return true
  }
  return false
}
