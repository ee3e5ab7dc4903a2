// A small protobuf encoder and decoder for the few plexi.chat.v1 messages the page sends and reads
// (protocols/grpc/chat.proto), so that the page needs no protobuf library and no build step. A schema
// maps a field number to [name, type, repeated?, schema of a nested message]. 64-bit integers (seqs,
// times in ms) come back as Numbers: both stay far below 2^53.

const TEXT = new TextEncoder()
const UTF8 = new TextDecoder()

/** The message `value` as bytes, by `fields`: [[number, name, type, 'optional'?], ...]; zero values
 * are left out, but for an `optional` field (proto3 presence: Configure's persona "" means the
 * default persona), which is left out only when undefined. */
export function encode (fields, value) {
  const out = []
  for (const [no, name, type, presence] of fields) {
    // a list is its field repeated (strings: ListRooms' heads)
    for (const v of Array.isArray(value[name]) ? value[name] : [value[name]]) field(out, no, type, v, presence === 'optional')
  }
  return Uint8Array.from(out)
}

function field (out, no, type, v, explicit) {
  if (v === undefined || v === null) return
  if (!explicit && (v === '' || v === 0 || v === false)) return
  if (type === 'double') {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`a double must be a finite number, not ${v}`)
    varint(out, (no << 3) | 1)
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setFloat64(0, v, true)
    for (const b of bytes) out.push(b)
  } else if (type === 'string') {
    const bytes = TEXT.encode(v)
    varint(out, (no << 3) | 2)
    varint(out, bytes.length)
    for (const b of bytes) out.push(b)
  } else {
    varint(out, no << 3)
    varint(out, type === 'bool' ? 1 : v)
  }
}

function varint (out, n) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`a varint must be a whole number from 0 to 2^53, not ${n}`)
  while (n > 127) {
    out.push((n % 128) | 128)
    n = Math.floor(n / 128)
  }
  out.push(n)
}

/** The message in `bytes`, by `schema`: { number: [name, type, repeated, nested schema] }. Fields the
 * schema does not name are skipped, as protobuf requires. */
export function decode (schema, bytes) {
  const value = {}
  for (const [, [name, type, repeated]] of Object.entries(schema)) {
    value[name] = repeated ? [] : type === 'string' ? '' : type === 'bool' ? false : type === 'message' ? undefined : type === 'bytes' ? new Uint8Array(0) : 0
  }
  let at = 0
  const readVarint = () => {
    let n = 0
    let scale = 1
    for (;;) {
      if (at >= bytes.length) throw new Error('protobuf: a varint runs past the end')
      const b = bytes[at++]
      n += (b & 127) * scale
      if (b < 128) return n
      scale *= 128
    }
  }
  while (at < bytes.length) {
    const key = readVarint()
    const no = Math.floor(key / 8)
    const wire = key & 7
    let raw
    if (wire === 0) raw = readVarint()
    else if (wire === 2) {
      const length = readVarint()
      raw = bytes.subarray(at, at + length)
      at += length
    } else if (wire === 1) {
      if (at + 8 > bytes.length) throw new Error('protobuf: a 64-bit field runs past the end')
      raw = bytes.subarray(at, at + 8)
      at += 8
    } else if (wire === 5) at += 4
    else throw new Error(`protobuf: wire type ${wire} is not one this page reads`)
    const field = schema[no]
    if (field === undefined || raw === undefined) continue
    const [name, type, repeated, nested] = field
    if ((wire === 1) !== (type === 'double')) continue   // not the type the schema says: as unknown
    const v = type === 'string' ? UTF8.decode(raw) : type === 'bool' ? raw !== 0 : type === 'message' ? decode(nested, raw)
      : type === 'double' ? new DataView(raw.buffer, raw.byteOffset, 8).getFloat64(0, true) : type === 'bytes' ? raw.slice() : raw
    if (repeated) value[name].push(v)
    else value[name] = v
  }
  return value
}
